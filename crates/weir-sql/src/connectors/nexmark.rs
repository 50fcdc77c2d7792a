//! The `nexmark` connector: one of the Nexmark event streams (persons, auctions or bids)
//! from Weir's built-in, seeded generator, as a table.
//!
//! ```sql
//! CREATE TABLE bid (
//!   auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
//!   `dateTime` TIMESTAMP(3), extra VARCHAR,
//!   WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
//! ) WITH ('connector' = 'nexmark', 'event-type' = 'bid', 'events.num' = '1000000');
//! ```
//!
//! Columns are matched to the event's fields by name (Flink's camelCase names, case and
//! underscores ignored: `dateTime`, `date_time`); a table may declare any of them, in any
//! order. Every table reading the generator sees the same events for the same options, so
//! a job joining `person` and `auction` tables sees one consistent auction world (each
//! table runs its own generator and keeps its event type).

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringBuilder, TimestampMillisecondArray};
use arrow::datatypes::{DataType, SchemaRef};
use weir::{DataStream, StreamExecutionEnvironment, WatermarkStrategy};
use weir_connectors::nexmark::{Auction, Bid, Event, NexmarkConfig, NexmarkSource, Person};
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use crate::catalog::TableDef;
use crate::error::{Result, SqlError};
use crate::stream::batch::cast_to;
use crate::stream::Changes;

/// The options the connector knows.
pub const OPTIONS: [&str; 5] = ["connector", "event-type", "events.num", "first-event.rate", "seed"];

/// How a column's values are read from an event.
enum Getter<T> {
    Int(fn(&T) -> i64),
    Str(fn(&T) -> &str),
    Time(fn(&T) -> i64),
}

impl<T> Clone for Getter<T> {
    fn clone(&self) -> Self {
        match self {
            Getter::Int(f) => Getter::Int(*f),
            Getter::Str(f) => Getter::Str(*f),
            Getter::Time(f) => Getter::Time(*f),
        }
    }
}

/// One of the three event types: its fields by (normalised) name.
trait NexmarkRow: Sized + Send + Sync + 'static {
    const TYPE: &'static str;
    const FIELDS: &'static [&'static str];
    fn getter(field: &str) -> Option<Getter<Self>>;
    fn extract(event: &Event) -> Option<&Self>;
}

impl NexmarkRow for Person {
    const TYPE: &'static str = "person";
    const FIELDS: &'static [&'static str] =
        &["id", "name", "emailAddress", "creditCard", "city", "state", "dateTime", "extra"];
    fn getter(field: &str) -> Option<Getter<Self>> {
        Some(match field {
            "id" => Getter::Int(|p| p.id),
            "name" => Getter::Str(|p| &p.name),
            "emailaddress" => Getter::Str(|p| &p.email_address),
            "creditcard" => Getter::Str(|p| &p.credit_card),
            "city" => Getter::Str(|p| &p.city),
            "state" => Getter::Str(|p| &p.state),
            "datetime" => Getter::Time(|p| p.date_time),
            "extra" => Getter::Str(|p| &p.extra),
            _ => return None,
        })
    }
    fn extract(event: &Event) -> Option<&Self> {
        event.as_person()
    }
}

impl NexmarkRow for Auction {
    const TYPE: &'static str = "auction";
    const FIELDS: &'static [&'static str] = &[
        "id",
        "itemName",
        "description",
        "initialBid",
        "reserve",
        "dateTime",
        "expires",
        "seller",
        "category",
        "extra",
    ];
    fn getter(field: &str) -> Option<Getter<Self>> {
        Some(match field {
            "id" => Getter::Int(|a| a.id),
            "itemname" => Getter::Str(|a| &a.item_name),
            "description" => Getter::Str(|a| &a.description),
            "initialbid" => Getter::Int(|a| a.initial_bid),
            "reserve" => Getter::Int(|a| a.reserve),
            "datetime" => Getter::Time(|a| a.date_time),
            "expires" => Getter::Time(|a| a.expires),
            "seller" => Getter::Int(|a| a.seller),
            "category" => Getter::Int(|a| a.category),
            "extra" => Getter::Str(|a| &a.extra),
            _ => return None,
        })
    }
    fn extract(event: &Event) -> Option<&Self> {
        event.as_auction()
    }
}

impl NexmarkRow for Bid {
    const TYPE: &'static str = "bid";
    const FIELDS: &'static [&'static str] = &["auction", "bidder", "price", "channel", "url", "dateTime", "extra"];
    fn getter(field: &str) -> Option<Getter<Self>> {
        Some(match field {
            "auction" => Getter::Int(|b| b.auction),
            "bidder" => Getter::Int(|b| b.bidder),
            "price" => Getter::Int(|b| b.price),
            "channel" => Getter::Str(|b| &b.channel),
            "url" => Getter::Str(|b| &b.url),
            "datetime" => Getter::Time(|b| b.date_time),
            "extra" => Getter::Str(|b| &b.extra),
            _ => return None,
        })
    }
    fn extract(event: &Event) -> Option<&Self> {
        event.as_bid()
    }
}

fn normalise(name: &str) -> String {
    name.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect()
}

/// The generator configuration of a `nexmark` table's options.
pub fn config(table: &TableDef) -> Result<NexmarkConfig> {
    let number = |key: &str, default: u64| -> Result<u64> {
        match table.option(key) {
            None => Ok(default),
            Some(v) => v.trim().parse::<u64>().map_err(|_| {
                SqlError::option(format!(
                    "Option '{key}' of table '{}' must be a non-negative whole number, got '{v}'",
                    table.name
                ))
            }),
        }
    };
    let defaults = NexmarkConfig::default();
    let config = NexmarkConfig::new(number("events.num", defaults.events)?)
        .with_seed(number("seed", defaults.seed)?)
        .with_first_event_rate(number("first-event.rate", defaults.first_event_rate)?);
    config.validate().map_err(|e| SqlError::option(format!("Table '{}': {e}", table.name)))?;
    Ok(config)
}

/// Checks a `nexmark` table: its event type, options and columns.
pub fn validate(table: &TableDef) -> Result<()> {
    config(table)?;
    match event_type(table)? {
        "person" => getters::<Person>(table).map(drop),
        "auction" => getters::<Auction>(table).map(drop),
        _ => getters::<Bid>(table).map(drop),
    }
}

fn event_type(table: &TableDef) -> Result<&str> {
    match table.required_option("event-type")? {
        t @ ("person" | "auction" | "bid") => Ok(t),
        other => Err(SqlError::option(format!(
            "Option 'event-type' of table '{}' must be 'person', 'auction' or 'bid', got '{other}'",
            table.name
        ))),
    }
}

fn getters<T: NexmarkRow>(table: &TableDef) -> Result<Vec<Getter<T>>> {
    let schema = table.physical_schema();
    schema
        .fields()
        .iter()
        .map(|f| {
            let getter = T::getter(&normalise(f.name())).ok_or_else(|| {
                let names: Vec<&str> = T::FIELDS.to_vec();
                let hint = crate::suggest::closest(f.name(), names.iter().copied())
                    .map(|c| format!(" Did you mean '{c}'?"))
                    .unwrap_or_default();
                SqlError::validation(format!(
                    "Column '{}' of table '{}' is not a field of Nexmark {} events ({}).{hint}",
                    f.name(),
                    table.name,
                    T::TYPE,
                    names.join(", ")
                ))
            })?;
            let fits = match &getter {
                Getter::Int(_) => f.data_type().is_numeric(),
                Getter::Str(_) => matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
                Getter::Time(_) => matches!(f.data_type(), DataType::Timestamp(_, _)),
            };
            if !fits {
                let wanted = match getter {
                    Getter::Int(_) => "BIGINT",
                    Getter::Str(_) => "VARCHAR",
                    Getter::Time(_) => "TIMESTAMP(3)",
                };
                return Err(SqlError::validation(format!(
                    "Column '{}' of table '{}' is {} but the Nexmark field is {wanted}",
                    f.name(),
                    table.name,
                    f.data_type()
                )));
            }
            Ok(getter)
        })
        .collect()
}

/// The rows of a `nexmark` table (its physical columns).
pub fn open(env: &StreamExecutionEnvironment, table: &TableDef) -> Result<DataStream<Changes>> {
    let source = NexmarkSource::new(config(table)?).map_err(|e| SqlError::option(e.to_string()))?;
    let events = env.from_source(source, WatermarkStrategy::no_watermarks(), &format!("Nexmark: {}", table.name));
    let schema = table.physical_schema();
    let name = format!("Rows {}", table.name);
    Ok(match event_type(table)? {
        "person" => to_rows::<Person>(events, getters(table)?, schema, &name),
        "auction" => to_rows::<Auction>(events, getters(table)?, schema, &name),
        _ => to_rows::<Bid>(events, getters(table)?, schema, &name),
    })
}

fn to_rows<T: NexmarkRow>(
    events: DataStream<Event>,
    getters: Vec<Getter<T>>,
    schema: SchemaRef,
    name: &str,
) -> DataStream<Changes> {
    events.transform(name, move |_| {
        Ok(RowsOperator { getters: getters.clone(), schema: schema.clone(), selected: Vec::new() })
    })
}

/// Turns a batch of events into a batch of rows of one event type.
struct RowsOperator<T: NexmarkRow> {
    getters: Vec<Getter<T>>,
    schema: SchemaRef,
    /// Indices of this batch's events of the type (reused between batches).
    selected: Vec<u32>,
}

impl<T: NexmarkRow> RowsOperator<T> {
    fn column(&self, c: usize, rows: &[StreamRecord<Event>]) -> std::result::Result<ArrayRef, BoxError> {
        let items = self.selected.iter().map(|&i| T::extract(&rows[i as usize].value).expect("selected"));
        let column: ArrayRef = match &self.getters[c] {
            Getter::Int(f) => Arc::new(Int64Array::from_iter_values(items.map(f))),
            Getter::Time(f) => Arc::new(TimestampMillisecondArray::from_iter_values(items.map(f))),
            Getter::Str(f) => {
                let mut builder = StringBuilder::with_capacity(self.selected.len(), self.selected.len() * 16);
                for item in items {
                    builder.append_value(f(item));
                }
                Arc::new(builder.finish())
            }
        };
        cast_to(column, self.schema.field(c).data_type())
    }
}

impl<T: NexmarkRow> Operator for RowsOperator<T> {
    type In = Event;
    type Out = Changes;

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<Event>>,
        out: &mut Emitter<Changes>,
    ) -> std::result::Result<(), BoxError> {
        self.selected.clear();
        self.selected.extend((0..batch.len() as u32).filter(|&i| T::extract(&batch[i as usize].value).is_some()));
        if !self.selected.is_empty() {
            let columns =
                (0..self.getters.len()).map(|c| self.column(c, batch)).collect::<std::result::Result<Vec<_>, _>>()?;
            let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(self.selected.len()));
            let rows = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
            out.emit(StreamRecord { value: Changes::inserts(rows), timestamp: weir_core::record::NO_TIMESTAMP });
        }
        batch.clear();
        Ok(())
    }
}
