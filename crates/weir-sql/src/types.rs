//! Flink's SQL types, and how each is held in Arrow.
//!
//! | Flink | Arrow |
//! |---|---|
//! | `TINYINT` `SMALLINT` `INT` `BIGINT` | `Int8` `Int16` `Int32` `Int64` |
//! | `FLOAT` `DOUBLE` | `Float32` `Float64` |
//! | `DECIMAL(p, s)` | `Decimal128(p, s)` |
//! | `BOOLEAN` | `Boolean` |
//! | `CHAR(n)` `VARCHAR(n)` `STRING` | `Utf8` |
//! | `BINARY(n)` `VARBINARY(n)` `BYTES` | `Binary` |
//! | `DATE` | `Date32` |
//! | `TIME(p)` | `Time32(Second)` (`TIME` = `TIME(0)`), `Time32(Millisecond)` (p ≤ 3) or `Time64(Microsecond/Nanosecond)` |
//! | `TIMESTAMP(p)` | `Timestamp(unit of p, None)` |
//! | `TIMESTAMP_LTZ(p)` | `Timestamp(unit of p, "UTC")` |
//! | `INTERVAL …` | `Interval(MonthDayNano)` |
//! | `ARRAY<T>` `MAP<K, V>` `ROW<…>` | `List` `Map` `Struct` |
//! | `MULTISET<T>` | `List` whose element field is named `multiset_element` |

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, IntervalUnit, TimeUnit};

/// A Flink SQL type, with its nullability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkType {
    /// The type proper.
    pub kind: TypeKind,
    /// `false` when declared `NOT NULL`.
    pub nullable: bool,
}

/// The type without nullability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    /// `TINYINT`.
    TinyInt,
    /// `SMALLINT`.
    SmallInt,
    /// `INT` / `INTEGER`.
    Int,
    /// `BIGINT`.
    BigInt,
    /// `FLOAT` / `REAL`.
    Float,
    /// `DOUBLE [PRECISION]`.
    Double,
    /// `DECIMAL(p, s)` / `DEC` / `NUMERIC` (default `(10, 0)`).
    Decimal(u8, i8),
    /// `BOOLEAN`.
    Boolean,
    /// `CHAR(n)`.
    Char(u32),
    /// `VARCHAR(n)`; `STRING` is `VARCHAR(2147483647)`.
    Varchar(u32),
    /// `BINARY(n)`.
    Binary(u32),
    /// `VARBINARY(n)`; `BYTES` is `VARBINARY(2147483647)`.
    Varbinary(u32),
    /// `DATE`.
    Date,
    /// `TIME(p)` (default 0).
    Time(u8),
    /// `TIMESTAMP(p)` / `TIMESTAMP(p) WITHOUT TIME ZONE` (default 6).
    Timestamp(u8),
    /// `TIMESTAMP_LTZ(p)` / `TIMESTAMP(p) WITH LOCAL TIME ZONE` (default 6).
    TimestampLtz(u8),
    /// `INTERVAL YEAR TO MONTH` and its kin.
    IntervalYearMonth,
    /// `INTERVAL DAY TO SECOND` and its kin.
    IntervalDayTime,
    /// `ARRAY<T>` / `T ARRAY`.
    Array(Box<FlinkType>),
    /// `MAP<K, V>`.
    Map(Box<FlinkType>, Box<FlinkType>),
    /// `MULTISET<T>`.
    Multiset(Box<FlinkType>),
    /// `ROW<name type, …>` / `ROW(name type, …)`.
    Row(Vec<(String, FlinkType)>),
}

/// `VARCHAR`'s largest length: `STRING`.
pub const MAX_LENGTH: u32 = i32::MAX as u32;

impl FlinkType {
    /// A nullable type.
    pub fn nullable(kind: TypeKind) -> Self {
        FlinkType { kind, nullable: true }
    }

    /// The Arrow type that holds values of this type.
    pub fn to_arrow(&self) -> DataType {
        match &self.kind {
            TypeKind::TinyInt => DataType::Int8,
            TypeKind::SmallInt => DataType::Int16,
            TypeKind::Int => DataType::Int32,
            TypeKind::BigInt => DataType::Int64,
            TypeKind::Float => DataType::Float32,
            TypeKind::Double => DataType::Float64,
            TypeKind::Decimal(p, s) => DataType::Decimal128(*p, *s),
            TypeKind::Boolean => DataType::Boolean,
            TypeKind::Char(_) | TypeKind::Varchar(_) => DataType::Utf8,
            TypeKind::Binary(_) | TypeKind::Varbinary(_) => DataType::Binary,
            TypeKind::Date => DataType::Date32,
            TypeKind::Time(p) => time_type(u64::from(*p)),
            TypeKind::Timestamp(p) => DataType::Timestamp(time_unit(*p), None),
            TypeKind::TimestampLtz(p) => DataType::Timestamp(time_unit(*p), Some(Arc::from("UTC"))),
            TypeKind::IntervalYearMonth | TypeKind::IntervalDayTime => DataType::Interval(IntervalUnit::MonthDayNano),
            TypeKind::Array(t) => DataType::List(Arc::new(Field::new("element", t.to_arrow(), t.nullable))),
            TypeKind::Multiset(t) => {
                DataType::List(Arc::new(Field::new(crate::format::MULTISET_ELEMENT, t.to_arrow(), t.nullable)))
            }
            TypeKind::Map(k, v) => {
                let entries = Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![
                        Field::new("key", k.to_arrow(), false),
                        Field::new("value", v.to_arrow(), v.nullable),
                    ])),
                    false,
                );
                DataType::Map(Arc::new(entries), false)
            }
            TypeKind::Row(fields) => DataType::Struct(Fields::from(
                fields.iter().map(|(n, t)| Field::new(n, t.to_arrow(), t.nullable)).collect::<Vec<_>>(),
            )),
        }
    }

    /// The Flink type closest to an Arrow type (for computed columns and query results).
    pub fn from_arrow(data_type: &DataType, nullable: bool) -> Option<FlinkType> {
        let kind = match data_type {
            DataType::Int8 => TypeKind::TinyInt,
            DataType::Int16 | DataType::UInt8 => TypeKind::SmallInt,
            DataType::Int32 | DataType::UInt16 => TypeKind::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => TypeKind::BigInt,
            DataType::Float16 | DataType::Float32 => TypeKind::Float,
            DataType::Float64 => TypeKind::Double,
            DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => TypeKind::Decimal((*p).min(38), *s),
            DataType::Boolean => TypeKind::Boolean,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => TypeKind::Varchar(MAX_LENGTH),
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => TypeKind::Varbinary(MAX_LENGTH),
            DataType::Date32 | DataType::Date64 => TypeKind::Date,
            DataType::Time32(TimeUnit::Second) => TypeKind::Time(0),
            DataType::Time32(_) => TypeKind::Time(3),
            DataType::Time64(TimeUnit::Microsecond) => TypeKind::Time(6),
            DataType::Time64(_) => TypeKind::Time(9),
            DataType::Timestamp(unit, tz) => {
                let p = match unit {
                    TimeUnit::Second => 0,
                    TimeUnit::Millisecond => 3,
                    TimeUnit::Microsecond => 6,
                    TimeUnit::Nanosecond => 9,
                };
                if tz.is_some() {
                    TypeKind::TimestampLtz(p)
                } else {
                    TypeKind::Timestamp(p)
                }
            }
            DataType::Interval(IntervalUnit::YearMonth) => TypeKind::IntervalYearMonth,
            DataType::Interval(_) | DataType::Duration(_) => TypeKind::IntervalDayTime,
            DataType::List(f) | DataType::LargeList(f) if f.name() == crate::format::MULTISET_ELEMENT => {
                TypeKind::Multiset(Box::new(FlinkType::from_arrow(f.data_type(), f.is_nullable())?))
            }
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                TypeKind::Array(Box::new(FlinkType::from_arrow(f.data_type(), f.is_nullable())?))
            }
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => TypeKind::Map(
                    Box::new(FlinkType::from_arrow(kv[0].data_type(), kv[0].is_nullable())?),
                    Box::new(FlinkType::from_arrow(kv[1].data_type(), kv[1].is_nullable())?),
                ),
                _ => return None,
            },
            DataType::Struct(fields) => TypeKind::Row(
                fields
                    .iter()
                    .map(|f| Some((f.name().clone(), FlinkType::from_arrow(f.data_type(), f.is_nullable())?)))
                    .collect::<Option<Vec<_>>>()?,
            ),
            DataType::Null => TypeKind::Varchar(MAX_LENGTH),
            _ => return None,
        };
        Some(FlinkType { kind, nullable })
    }
}

/// The Arrow type of `TIME(p)`: whole seconds for TIME(0), so that a value truncates and
/// prints as Flink's does.
pub fn time_type(precision: u64) -> DataType {
    match precision {
        0 => DataType::Time32(TimeUnit::Second),
        1..=3 => DataType::Time32(TimeUnit::Millisecond),
        4..=6 => DataType::Time64(TimeUnit::Microsecond),
        _ => DataType::Time64(TimeUnit::Nanosecond),
    }
}

/// Gives DataFusion's SQL planner Flink's `TIME(p)` (DataFusion knows `TIME` without a
/// precision only, as nanoseconds): `CAST(x AS TIME)` is a TIME(0) and drops the fraction.
#[derive(Debug, Default)]
pub struct FlinkTypePlanner;

impl datafusion_expr::planner::TypePlanner for FlinkTypePlanner {
    fn plan_type_field(
        &self,
        t: &sqlparser::ast::DataType,
    ) -> datafusion_common::Result<Option<arrow::datatypes::FieldRef>> {
        use sqlparser::ast::{DataType as SqlType, TimezoneInfo};
        Ok(match t {
            SqlType::Time(p, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
                Some(Arc::new(Field::new("", time_type(p.unwrap_or(0)), true)))
            }
            // A composite cast target (see `crate::parser::composite_cast`).
            SqlType::Custom(name, text) if name.to_string() == crate::parser::composite_cast::FLINK_TYPE => {
                let [text] = text.as_slice() else {
                    return datafusion_common::plan_err!("malformed composite type {t}");
                };
                let ty =
                    crate::parser::parse_type(text).map_err(|e| datafusion_common::DataFusionError::Plan(e.message))?;
                Some(Arc::new(Field::new("", ty.to_arrow(), true)))
            }
            _ => None,
        })
    }
}

fn time_unit(precision: u8) -> TimeUnit {
    match precision {
        0..=3 => TimeUnit::Millisecond,
        4..=6 => TimeUnit::Microsecond,
        _ => TimeUnit::Nanosecond,
    }
}

impl fmt::Display for FlinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TypeKind::TinyInt => f.write_str("TINYINT")?,
            TypeKind::SmallInt => f.write_str("SMALLINT")?,
            TypeKind::Int => f.write_str("INT")?,
            TypeKind::BigInt => f.write_str("BIGINT")?,
            TypeKind::Float => f.write_str("FLOAT")?,
            TypeKind::Double => f.write_str("DOUBLE")?,
            TypeKind::Decimal(p, s) => write!(f, "DECIMAL({p}, {s})")?,
            TypeKind::Boolean => f.write_str("BOOLEAN")?,
            TypeKind::Char(n) => write!(f, "CHAR({n})")?,
            TypeKind::Varchar(MAX_LENGTH) => f.write_str("STRING")?,
            TypeKind::Varchar(n) => write!(f, "VARCHAR({n})")?,
            TypeKind::Binary(n) => write!(f, "BINARY({n})")?,
            TypeKind::Varbinary(MAX_LENGTH) => f.write_str("BYTES")?,
            TypeKind::Varbinary(n) => write!(f, "VARBINARY({n})")?,
            TypeKind::Date => f.write_str("DATE")?,
            TypeKind::Time(p) => write!(f, "TIME({p})")?,
            TypeKind::Timestamp(p) => write!(f, "TIMESTAMP({p})")?,
            TypeKind::TimestampLtz(p) => write!(f, "TIMESTAMP_LTZ({p})")?,
            TypeKind::IntervalYearMonth => f.write_str("INTERVAL YEAR TO MONTH")?,
            TypeKind::IntervalDayTime => f.write_str("INTERVAL DAY TO SECOND")?,
            TypeKind::Array(t) => write!(f, "ARRAY<{t}>")?,
            TypeKind::Multiset(t) => write!(f, "MULTISET<{t}>")?,
            TypeKind::Map(k, v) => write!(f, "MAP<{k}, {v}>")?,
            TypeKind::Row(fields) => {
                f.write_str("ROW<")?;
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{n}` {t}")?;
                }
                f.write_str(">")?;
            }
        }
        if !self.nullable {
            f.write_str(" NOT NULL")?;
        }
        Ok(())
    }
}
