//! Values and types as the JDBC connector moves them: [`JdbcType`] (Flink's SQL types it
//! maps to PostgreSQL types) and [`JdbcValue`] (one field of a row, sent to PostgreSQL in
//! its binary format).
//!
//! | Flink | PostgreSQL | [`JdbcValue`] |
//! |---|---|---|
//! | BOOLEAN | boolean | `Bool` |
//! | SMALLINT / INT | smallint / integer | `Int` |
//! | BIGINT | bigint | `BigInt` |
//! | FLOAT / DOUBLE | real / double precision | `Double` |
//! | DECIMAL(p, s) | numeric(p, s) | `Decimal` (its text, exact) |
//! | CHAR / VARCHAR / STRING | char / varchar / text | `Text` |
//! | DATE | date | `Date` (days since 1970-01-01) |
//! | TIMESTAMP(p) | timestamp | `Timestamp` (µs since 1970-01-01 00:00, no zone) |
//! | TIMESTAMP_LTZ(p) | timestamptz | `Timestamp` (µs since the epoch, UTC) |
//!
//! Statements read every column through a cast to the type the connector expects
//! ([`JdbcType::select_expr`]) and write numerics through text, so a column of a wider
//! PostgreSQL type (an `int` read as BIGINT) works as it does in Flink.

use postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days between 1970-01-01 and 2000-01-01.
const PG_EPOCH_DAYS: i32 = 10_957;

/// The type of a column, as the connector reads and writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JdbcType {
    /// BOOLEAN.
    Boolean,
    /// SMALLINT.
    SmallInt,
    /// INT.
    Int,
    /// BIGINT.
    BigInt,
    /// FLOAT (read as a double).
    Float,
    /// DOUBLE.
    Double,
    /// DECIMAL(precision, scale).
    Decimal(u8, i8),
    /// CHAR, VARCHAR, STRING.
    Varchar,
    /// DATE.
    Date,
    /// TIMESTAMP(p): a date and time without zone.
    Timestamp,
    /// TIMESTAMP_LTZ(p): an instant.
    TimestampLtz,
}

impl JdbcType {
    /// The SQL expression that reads column `quoted` (already quoted) as this type.
    pub fn select_expr(self, quoted: &str) -> String {
        match self {
            JdbcType::Boolean => format!("{quoted}::boolean"),
            JdbcType::SmallInt | JdbcType::Int => format!("{quoted}::int4"),
            JdbcType::BigInt => format!("{quoted}::int8"),
            JdbcType::Float | JdbcType::Double => format!("{quoted}::float8"),
            JdbcType::Decimal(..) | JdbcType::Varchar => format!("{quoted}::text"),
            JdbcType::Date => format!("({quoted}::date - DATE '1970-01-01')"),
            JdbcType::Timestamp => format!("(EXTRACT(EPOCH FROM {quoted}::timestamp) * 1000000)::int8"),
            JdbcType::TimestampLtz => format!("(EXTRACT(EPOCH FROM {quoted}::timestamptz) * 1000000)::int8"),
        }
    }

    /// The placeholder `$n` for a value of this type in a statement.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            // Sent as text, cast by the server: exact, and any precision.
            JdbcType::Decimal(..) => format!("${n}::text::numeric"),
            _ => format!("${n}"),
        }
    }

    /// Reads column `index` of `row` (selected with [`JdbcType::select_expr`]).
    ///
    /// # Errors
    /// When the server sent another type than the cast asked for (a bug).
    pub fn read(self, row: &postgres::Row, index: usize) -> Result<JdbcValue, postgres::Error> {
        Ok(match self {
            JdbcType::Boolean => row.try_get::<_, Option<bool>>(index)?.map_or(JdbcValue::Null, JdbcValue::Bool),
            JdbcType::SmallInt | JdbcType::Int | JdbcType::Date => match row.try_get::<_, Option<i32>>(index)? {
                None => JdbcValue::Null,
                Some(v) if self == JdbcType::Date => JdbcValue::Date(v),
                Some(v) => JdbcValue::Int(v),
            },
            JdbcType::BigInt => row.try_get::<_, Option<i64>>(index)?.map_or(JdbcValue::Null, JdbcValue::BigInt),
            JdbcType::Float | JdbcType::Double => {
                row.try_get::<_, Option<f64>>(index)?.map_or(JdbcValue::Null, JdbcValue::Double)
            }
            JdbcType::Decimal(..) => {
                row.try_get::<_, Option<String>>(index)?.map_or(JdbcValue::Null, JdbcValue::Decimal)
            }
            JdbcType::Varchar => row.try_get::<_, Option<String>>(index)?.map_or(JdbcValue::Null, JdbcValue::Text),
            JdbcType::Timestamp | JdbcType::TimestampLtz => {
                row.try_get::<_, Option<i64>>(index)?.map_or(JdbcValue::Null, JdbcValue::Timestamp)
            }
        })
    }
}

/// One field of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum JdbcValue {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 32-bit integer (also SMALLINT).
    Int(i32),
    /// A 64-bit integer.
    BigInt(i64),
    /// A double (also FLOAT).
    Double(f64),
    /// A decimal number as text (`-12.50`).
    Decimal(String),
    /// A string.
    Text(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00 (a TIMESTAMP) or since the epoch in UTC (a
    /// TIMESTAMP_LTZ).
    Timestamp(i64),
}

/// A row: one value per column, in the table's column order.
pub type JdbcRow = Vec<JdbcValue>;

impl JdbcValue {
    /// Appends an encoding of the value that is equal for equal values of one type (for
    /// deduplicating and caching by key).
    pub fn write_key(&self, out: &mut Vec<u8>) {
        match self {
            JdbcValue::Null => out.push(0),
            JdbcValue::Bool(b) => out.extend([1, *b as u8]),
            JdbcValue::Int(v) => {
                out.push(2);
                out.extend(i64::from(*v).to_le_bytes())
            }
            JdbcValue::BigInt(v) => {
                out.push(2);
                out.extend(v.to_le_bytes())
            }
            JdbcValue::Double(v) => {
                out.push(3);
                out.extend(v.to_bits().to_le_bytes())
            }
            JdbcValue::Decimal(s) | JdbcValue::Text(s) => {
                out.push(4);
                out.extend((s.len() as u64).to_le_bytes());
                out.extend(s.as_bytes())
            }
            JdbcValue::Date(v) => {
                out.push(5);
                out.extend(v.to_le_bytes())
            }
            JdbcValue::Timestamp(v) => {
                out.push(6);
                out.extend(v.to_le_bytes())
            }
        }
    }
}

impl std::fmt::Display for JdbcValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JdbcValue::Null => f.write_str("NULL"),
            JdbcValue::Bool(b) => write!(f, "{b}"),
            JdbcValue::Int(v) => write!(f, "{v}"),
            JdbcValue::BigInt(v) => write!(f, "{v}"),
            JdbcValue::Double(v) => write!(f, "{v}"),
            JdbcValue::Decimal(s) => f.write_str(s),
            JdbcValue::Text(s) => write!(f, "'{}'", crate::error::shorten(s)),
            JdbcValue::Date(days) => write!(f, "DATE {days} days after 1970-01-01"),
            JdbcValue::Timestamp(micros) => write!(f, "TIMESTAMP {micros} µs after 1970-01-01 00:00"),
        }
    }
}

/// Writes a row as `(v1, v2, …)` for error messages.
pub fn show_row(row: &[JdbcValue]) -> String {
    let values: Vec<String> = row.iter().map(ToString::to_string).collect();
    format!("({})", values.join(", "))
}

type SqlResult = Result<IsNull, Box<dyn std::error::Error + Sync + Send>>;

impl ToSql for JdbcValue {
    /// Writes the value in the binary format of the parameter's type `ty`: integers and
    /// doubles fit the column's width (so an INT goes into a `bigint` column), and dates
    /// and timestamps are shifted to PostgreSQL's epoch.
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> SqlResult {
        match self {
            JdbcValue::Null => Ok(IsNull::Yes),
            JdbcValue::Bool(b) => b.to_sql(ty, out),
            JdbcValue::Int(v) => integer(i64::from(*v), ty, out),
            JdbcValue::BigInt(v) => integer(*v, ty, out),
            JdbcValue::Double(v) if *ty == Type::FLOAT4 => (*v as f32).to_sql(ty, out),
            JdbcValue::Double(v) => v.to_sql(ty, out),
            JdbcValue::Decimal(s) | JdbcValue::Text(s) => s.as_str().to_sql(ty, out),
            JdbcValue::Date(days) => (days - PG_EPOCH_DAYS).to_sql(&Type::INT4, out),
            JdbcValue::Timestamp(micros) => (micros - PG_EPOCH_MICROS).to_sql(&Type::INT8, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// An integer in the width of `ty`, refusing one that does not fit.
fn integer(v: i64, ty: &Type, out: &mut bytes::BytesMut) -> SqlResult {
    if *ty == Type::INT2 {
        i16::try_from(v).map_err(|_| format!("{v} does not fit a smallint column"))?.to_sql(ty, out)
    } else if *ty == Type::INT4 {
        i32::try_from(v).map_err(|_| format!("{v} does not fit an integer column"))?.to_sql(ty, out)
    } else if *ty == Type::FLOAT8 {
        (v as f64).to_sql(ty, out)
    } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
        v.to_string().as_str().to_sql(ty, out)
    } else {
        v.to_sql(&Type::INT8, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_equal_for_equal_values_only() {
        let key = |row: &[JdbcValue]| {
            let mut out = Vec::new();
            row.iter().for_each(|v| v.write_key(&mut out));
            out
        };
        let t = |s: &str| JdbcValue::Text(s.into());
        assert_eq!(key(&[JdbcValue::Int(7), t("a")]), key(&[JdbcValue::BigInt(7), t("a")]));
        assert_ne!(key(&[t("ab"), t("c")]), key(&[t("a"), t("bc")]), "lengths keep fields apart");
        assert_ne!(key(&[JdbcValue::Null]), key(&[JdbcValue::Int(0)]));
        assert_ne!(key(&[JdbcValue::Date(1)]), key(&[JdbcValue::Int(1)]));
    }

    #[test]
    fn rows_show_their_values() {
        let row = [JdbcValue::Int(1), JdbcValue::Text("x".into()), JdbcValue::Null, JdbcValue::Decimal("2.50".into())];
        assert_eq!(show_row(&row), "(1, 'x', NULL, 2.50)");
    }

    #[test]
    fn reads_cast_to_the_expected_type() {
        let cases = [
            (JdbcType::Int, "\"k\"::int4"),
            (JdbcType::Decimal(10, 2), "\"k\"::text"),
            (JdbcType::Date, "(\"k\"::date - DATE '1970-01-01')"),
            (JdbcType::TimestampLtz, "(EXTRACT(EPOCH FROM \"k\"::timestamptz) * 1000000)::int8"),
        ];
        for (ty, expected) in cases {
            assert_eq!(ty.select_expr("\"k\""), expected, "{ty:?}");
        }
        assert_eq!(JdbcType::Decimal(5, 1).placeholder(3), "$3::text::numeric");
        assert_eq!(JdbcType::Varchar.placeholder(1), "$1");
    }
}
