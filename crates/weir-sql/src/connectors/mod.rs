//! Connectors from SQL: `filesystem`, `kafka` and `upsert-kafka`, `jdbc`, `socket`, `nexmark`,
//! `datagen`, `print`, `blackhole` — how a table's `WITH` options become a source or a sink of
//! [`Changes`].

pub mod datagen;
pub mod filesystem;
pub mod jdbc;
pub mod kafka;
pub mod nexmark;
pub mod partition_commit;
pub mod socket;

use std::sync::Arc;

use sqlparser::ast::Ident;
use weir::{DataStream, StreamExecutionEnvironment};

use crate::catalog::{ColumnSource, TableDef};
use crate::error::{Result, SqlError};
use crate::session::JobSettings;
use crate::stream::calc::CalcOperator;
use crate::stream::translate::Stream;
use crate::stream::watermark::{SplitBoard, WatermarkOperator};
use crate::stream::Changes;

/// The connectors Weir's SQL knows.
pub const CONNECTORS: [&str; 9] =
    ["blackhole", "datagen", "filesystem", "jdbc", "kafka", "nexmark", "print", "socket", "upsert-kafka"];

/// Checks a new table's connector and options, as Flink does at `CREATE TABLE`.
pub fn validate_table(table: &TableDef) -> Result<()> {
    let Some(connector) = table.option("connector") else {
        return Ok(()); // A table used only as a LIKE template.
    };
    let known: &[&str] = match connector {
        "filesystem" => {
            filesystem::validate(table)?;
            &filesystem::OPTIONS
        }
        "print" => &["connector", "print-identifier", "standard-error", "sink.parallelism"],
        "blackhole" => &["connector"],
        "nexmark" => {
            nexmark::validate(table)?;
            &nexmark::OPTIONS
        }
        "datagen" => return datagen::validate(table),
        "jdbc" => return jdbc::settings(table).map(|_| ()),
        "socket" => {
            socket::validate(table)?;
            &socket::OPTIONS
        }
        "kafka" | "upsert-kafka" => return kafka::validate(table),
        other => {
            return Err(SqlError::option(format!(
            "Could not find any factory for identifier '{other}' of table '{}'. Available factory identifiers are: {}",
            table.name,
            CONNECTORS.join(", ")
        )))
        }
    };
    for key in table.options.keys() {
        let format_key = crate::format::is_format_key(key);
        if !known.contains(&key.as_str()) && !format_key {
            return Err(SqlError::option(format!(
                "Unsupported option '{key}' for connector '{connector}' of table '{}'. Supported options: {}",
                table.name,
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Whether reading `table` gives an updating changelog rather than inserts only: an
/// `upsert-kafka` table, or one in a changelog format (`debezium-json`, `canal-json`).
pub fn reads_changelog(table: &TableDef) -> bool {
    let format = table.option("format").or_else(|| table.option("value.format"));
    table.option("connector") == Some("upsert-kafka")
        || format.is_some_and(|f| matches!(f, "debezium-json" | "canal-json"))
}

/// The stream of `table`'s rows (all columns, with its watermarks).
pub fn open_source(
    env: &StreamExecutionEnvironment,
    table: &TableDef,
    settings: &JobSettings,
) -> Result<DataStream<Changes>> {
    let kafka = matches!(table.connector()?, "kafka" | "upsert-kafka");
    if !kafka && table.columns.iter().any(|c| matches!(c.source, ColumnSource::Metadata { .. })) {
        return Err(SqlError::unsupported(format!(
            "Table '{}' declares metadata columns, which the {} connector does not provide",
            table.name,
            table.connector()?
        )));
    }
    // A Kafka table's watermark is kept per partition: its rows carry their split's id.
    let per_split = kafka && table.watermark.is_some();
    let board = per_split.then(|| std::sync::Arc::new(SplitBoard::default()));
    let with_split;
    let table = if per_split {
        with_split = kafka::with_split_column(table);
        &with_split
    } else {
        table
    };
    let physical = match table.connector()? {
        "filesystem" => filesystem::open(env, table, settings)?,
        "nexmark" => nexmark::open(env, table)?,
        "datagen" => datagen::open(env, table)?,
        "jdbc" => jdbc::open(env, table, settings)?,
        "socket" => socket::open(env, table)?,
        "kafka" | "upsert-kafka" => kafka::open(env, table, settings, board.clone())?,
        other => {
            return Err(SqlError::unsupported(format!(
                "The '{other}' connector of table '{}' cannot be read; it is a sink only",
                table.name
            )))
        }
    };
    let full = crate::session::with_computed_columns(env, table, physical, settings)?;
    Ok(match crate::session::watermark_expr(table, settings.function_config())? {
        Some((rowtime, expr)) => {
            let split_column = per_split.then(|| table.columns.len() - 1);
            let idle_timeout = settings.source_idle_timeout_ms;
            let assigner = full.transform("WatermarkAssigner", move |_| {
                let operator = WatermarkOperator::new(rowtime, expr.clone()).idle_timeout(idle_timeout);
                Ok(match (split_column, &board) {
                    (Some(column), Some(board)) => operator.per_split(column).split_board(board.clone()),
                    _ => operator,
                })
            });
            crate::stream::translate::beside(&full, assigner)
        }
        None => full,
    })
}

/// The query's rows as the sink's columns: names and types of `table` (Flink casts on
/// insert), in `columns` order when listed.
pub fn conform_to_sink(stream: Stream, table: &TableDef, columns: &[Ident]) -> Result<Stream> {
    let sink = table.sink_schema();
    let fields = stream.schema.fields();
    if !columns.is_empty() {
        let listed: Vec<&str> = columns.iter().map(|c| c.value.as_str()).collect();
        let in_order: Vec<&str> = sink.fields().iter().map(|f| f.name().as_str()).collect();
        if listed != in_order {
            return Err(SqlError::unsupported(format!(
                "INSERT INTO '{}' with a column list other than all columns in order ({}) is not supported yet",
                table.name,
                in_order.join(", ")
            )));
        }
    }
    if fields.len() != sink.fields().len() {
        return Err(SqlError::validation(format!(
            "Column types of query result and sink for '{}' do not match.\nCause: Different number of columns.\n\n\
             Query schema: [{}]\nSink schema:  [{}]",
            table.name,
            fields.iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect::<Vec<_>>().join(", "),
            sink.fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect::<Vec<_>>().join(", ")
        )));
    }
    if stream.updating && table.connector()? == "filesystem" && !filesystem::writes_changelog(table)? {
        return Err(SqlError::unsupported(format!(
            "Table sink '{}' doesn't support consuming update changes which is produced by node {}",
            table.name, stream.origin
        )));
    }
    if table.connector()? == "jdbc" {
        jdbc::check_sink_input(table, stream.updating, &stream.origin)?;
    }
    for (q, s) in fields.iter().zip(sink.fields()) {
        if !arrow::compute::can_cast_types(q.data_type(), s.data_type()) {
            return Err(SqlError::validation(format!(
                "Column types of query result and sink for '{}' do not match: column '{}' is {} but the sink's '{}' is {}",
                table.name,
                q.name(),
                q.data_type(),
                s.name(),
                s.data_type()
            )));
        }
    }
    // The sink's names and types: a projection of the columns, cast by the calc.
    let columns: Vec<Arc<dyn datafusion_physical_expr::PhysicalExpr>> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| Arc::new(datafusion_physical_expr::expressions::Column::new(f.name(), i)) as _)
        .collect();
    let data = crate::stream::translate::beside(
        &stream.data,
        stream
            .data
            .transform("SinkConversion", move |_| Ok(CalcOperator::new(None, Some(columns.clone()), sink.clone()))),
    );
    Ok(Stream { data, ..stream })
}

/// Adds the sink of `table` for `stream`.
pub fn add_sink(
    _env: &StreamExecutionEnvironment,
    stream: Stream,
    table: &TableDef,
    settings: &JobSettings,
) -> Result<()> {
    let name = format!("Sink: {}", table.name);
    // A sink runs beside its input unless 'sink.parallelism' says otherwise, so the changes
    // of one key reach one writer in the order they were made.
    let parallelism = match table.option("sink.parallelism") {
        Some(p) => Some(p.trim().parse::<usize>().ok().filter(|p| *p > 0).ok_or_else(|| {
            SqlError::option(format!("Option 'sink.parallelism' of table '{}' must be a positive number", table.name))
        })?),
        None => stream.data.common_parallelism(),
    }
    .unwrap_or(settings.parallelism);
    match table.connector()? {
        "filesystem" => filesystem::add_sink(stream, table, &name, parallelism)?,
        "print" => {
            let identifier = table.option("print-identifier").map(str::to_string);
            let lines = stream.data.map(|c: Changes| ChangelogLines(render_changes(&c))).set_parallelism(parallelism);
            match identifier {
                Some(id) => lines.sink_to(weir_connectors::sink::PrintSink::new().with_identifier(&id), &name),
                None => lines.print(),
            }
            .set_parallelism(parallelism);
        }
        "kafka" | "upsert-kafka" => kafka::add_sink(&stream.data, stream.updating, table, parallelism)?,
        "blackhole" => {
            stream.data.sink_to(weir_connectors::sink::BlackholeSink::new(), &name).set_parallelism(parallelism);
        }
        "jdbc" => jdbc::add_sink(stream.data, table, parallelism, settings.max_parallelism, &name)?,
        other => return Err(SqlError::unsupported(format!("The '{other}' connector cannot be written"))),
    }
    Ok(())
}

/// Rows of a batch as changelog lines.
pub fn render_changes(c: &Changes) -> Vec<String> {
    (0..c.len())
        .map(|i| {
            let mut line = String::new();
            crate::format::print_row(&c.rows, i, c.kind(i), &mut line);
            line
        })
        .collect()
}

/// Changelog lines printed one per line.
#[derive(Clone)]
struct ChangelogLines(Vec<String>);

impl std::fmt::Display for ChangelogLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

/// A changelog row: its kind and its values as Flink prints them (`null` for NULL).
pub type ChangeRow = (crate::changelog::RowKind, Vec<String>);

/// The rows of a batch, each value rendered (TIMESTAMP_LTZ in `zone`).
pub fn render_values(c: &Changes, zone: crate::functions::LocalTimeZone) -> Vec<ChangeRow> {
    (0..c.len())
        .map(|i| {
            let values = c
                .rows
                .columns()
                .iter()
                .map(|column| {
                    let mut text = String::new();
                    crate::format::render_value_in(column.as_ref(), i, zone, &mut text);
                    text
                })
                .collect();
            (c.kind(i), values)
        })
        .collect()
}

/// The rows of a query's result, gathered in one place in the order they arrive there;
/// TIMESTAMP_LTZ values are shown in `zone`, as Flink's SQL client shows them.
pub fn collect_changes(
    data: &DataStream<Changes>,
    zone: crate::functions::LocalTimeZone,
) -> weir_connectors::sink::CollectHandle<Vec<ChangeRow>> {
    // One collecting subtask, so the changes keep the order in which they were made.
    let sink = weir_connectors::sink::CollectSink::new();
    let handle = sink.handle();
    let rendered = data.map(move |c: Changes| render_values(&c, zone));
    let rendered = crate::stream::translate::beside(data, rendered);
    rendered.global().sink_to(sink, "Collect").set_parallelism(1);
    handle
}
