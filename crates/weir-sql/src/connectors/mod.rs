//! Connectors from SQL: `filesystem`, `kafka` and `upsert-kafka`, `jdbc`, `socket`, `nexmark`,
//! `datagen`, `print`, `blackhole` — how a table's `WITH` options become a source or a sink of
//! [`Changes`].

pub mod datagen;
pub mod filesystem;
pub mod jdbc;
pub mod kafka;
pub mod nexmark;
pub mod partition_commit;
pub mod sink_conversion;
pub mod socket;

use std::sync::Arc;

use sqlparser::ast::Ident;
use weir::{DataStream, StreamExecutionEnvironment};

use crate::catalog::{ColumnSource, TableDef};
use crate::error::{Result, SqlError};
use crate::session::JobSettings;
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
/// `upsert-kafka` table, or one in a changelog format (`debezium-json`, `canal-json`, `maxwell-json`, `ogg-json`).
pub fn reads_changelog(table: &TableDef) -> bool {
    let format = table.option("format").or_else(|| table.option("value.format"));
    table.option("connector") == Some("upsert-kafka")
        || format.is_some_and(|f| matches!(f, "debezium-json" | "canal-json" | "maxwell-json" | "ogg-json"))
}

/// The stream of `table`'s rows (all columns, with its watermarks).
pub fn open_source(
    env: &StreamExecutionEnvironment,
    table: &TableDef,
    settings: &JobSettings,
) -> Result<DataStream<Changes>> {
    let kafka = matches!(table.connector()?, "kafka" | "upsert-kafka");
    let has_metadata = matches!(table.connector()?, "kafka" | "upsert-kafka" | "filesystem");
    if !has_metadata && table.columns.iter().any(|c| matches!(c.source, ColumnSource::Metadata { .. })) {
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
            let every_row = settings.watermark_every_row;
            let assigner = full.transform("WatermarkAssigner", move |_| {
                let operator =
                    WatermarkOperator::new(rowtime, expr.clone()).idle_timeout(idle_timeout).every_row(every_row);
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
/// insert), in `columns` order when listed; a NULL in a `NOT NULL` column fails the job or
/// drops the row, as `enforcer` says.
pub fn conform_to_sink(
    stream: Stream,
    table: &TableDef,
    columns: &[Ident],
    enforcer: sink_conversion::NotNullEnforcer,
) -> Result<Stream> {
    let sink = table.sink_schema();
    let fields = stream.schema.fields();
    if !columns.is_empty() && fields.len() != columns.len() {
        return Err(SqlError::validation("Number of columns must match number of query columns"));
    }
    if fields.len() != sink.fields().len() && columns.is_empty() {
        return Err(SqlError::validation(format!(
            "Column types of query result and sink for '{}' do not match.\nCause: Different number of columns.\n\n\
             Query schema: [{}]\nSink schema:  [{}]",
            table.name,
            fields.iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect::<Vec<_>>().join(", "),
            sink.fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect::<Vec<_>>().join(", ")
        )));
    }
    // For each sink column, the query column written into it (`None`: NULL).
    let required: Vec<bool> =
        table.sink_columns().map(|c| !c.ty.nullable || table.primary_key.contains(&c.name)).collect();
    let sources = sink_sources(&sink, &required, columns)?;
    if stream.updating && table.connector()? == "filesystem" && !filesystem::writes_changelog(table)? {
        return Err(SqlError::unsupported(format!(
            "Table sink '{}' doesn't support consuming update changes which is produced by node {}",
            table.name, stream.origin
        )));
    }
    if table.connector()? == "jdbc" {
        jdbc::check_sink_input(table, stream.updating, &stream.origin)?;
    }
    for (position, (source, s)) in sources.iter().zip(sink.fields()).enumerate() {
        let Some(q) = source.map(|i| &fields[i]) else { continue };
        if !sink_conversion::implicit_cast(q.data_type(), s.data_type()) {
            let shown = |f: &arrow::datatypes::Field| {
                let ty = crate::types::FlinkType::from_arrow(f.data_type(), f.is_nullable())
                    .map_or_else(|| f.data_type().to_string(), |t| t.to_string());
                format!("{}: {ty}", f.name())
            };
            let sink_types = table.sink_columns().map(|c| format!("{}: {}", c.name, c.ty)).collect::<Vec<_>>();
            return Err(SqlError::validation(format!(
                "Column types of query result and sink for '{}' do not match.\nCause: Incompatible types for sink \
                 column '{}' at position {}.\n\nQuery schema: [{}]\nSink schema:  [{}]",
                table.name,
                s.name(),
                position + 1,
                fields.iter().map(|f| shown(f)).collect::<Vec<_>>().join(", "),
                sink_types.join(", ")
            )));
        }
    }
    // The sink's names and types: a projection of the columns, cast by the calc.
    let columns = sources
        .iter()
        .zip(sink.fields())
        .map(|(source, s)| -> Result<Arc<dyn datafusion_physical_expr::PhysicalExpr>> {
            Ok(match source {
                Some(i) => Arc::new(datafusion_physical_expr::expressions::Column::new(fields[*i].name(), *i)),
                None => {
                    let null = datafusion_common::ScalarValue::try_from(s.data_type())
                        .map_err(|e| SqlError::validation(e.to_string()))?;
                    Arc::new(datafusion_physical_expr::expressions::Literal::new(null))
                }
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let conversion = sink_conversion::SinkConversionPlan::new(table, sink, columns, enforcer);
    let data = crate::stream::translate::beside(
        &stream.data,
        stream.data.transform("SinkConversion", move |_| Ok(conversion.operator())),
    );
    Ok(Stream { data, ..stream })
}

/// For each column of `sink` (the columns a table writes), the position of the query column
/// written into it: all in order without a column list; with one (`INSERT INTO t (b, a)`),
/// the listed columns by name and NULL for the others, as Flink fills them. A column not
/// listed must not be `required` (NOT NULL or in the primary key).
fn sink_sources(sink: &arrow::datatypes::Schema, required: &[bool], columns: &[Ident]) -> Result<Vec<Option<usize>>> {
    if columns.is_empty() {
        return Ok((0..sink.fields().len()).map(Some).collect());
    }
    let mut sources = vec![None; sink.fields().len()];
    for (i, listed) in columns.iter().enumerate() {
        let Some(at) = sink.fields().iter().position(|f| f.name() == &listed.value) else {
            return Err(SqlError::validation(format!("Unknown target column '{}'", listed.value)));
        };
        if sources[at].is_some() {
            return Err(SqlError::validation(format!("Target column '{}' is assigned more than once", listed.value)));
        }
        sources[at] = Some(i);
    }
    let left_out =
        sink.fields().iter().zip(&sources).zip(required).find(|((_, s), required)| s.is_none() && **required);
    if let Some(((f, _), _)) = left_out {
        return Err(SqlError::validation(format!(
            "Column '{}' has no default value and does not allow NULLs",
            f.name()
        )));
    }
    Ok(sources)
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field, Schema};

    fn sink() -> Schema {
        Schema::new(vec![
            Field::new("a", DataType::Int32, true),
            Field::new("b", DataType::Utf8, true),
            Field::new("c", DataType::Float64, true),
        ])
    }

    fn idents(names: &[&str]) -> Vec<Ident> {
        names.iter().map(|n| Ident::new(*n)).collect()
    }

    #[test]
    fn a_column_list_maps_by_name_and_fills_the_rest_with_null() {
        let free = [false; 3];
        assert_eq!(sink_sources(&sink(), &free, &[]).unwrap(), [Some(0), Some(1), Some(2)]);
        assert_eq!(sink_sources(&sink(), &free, &idents(&["b", "a"])).unwrap(), [Some(1), Some(0), None]);
        assert_eq!(sink_sources(&sink(), &free, &idents(&["c", "a", "b"])).unwrap(), [Some(1), Some(2), Some(0)]);
    }

    #[test]
    fn a_column_list_is_checked_as_flink_checks_it() {
        let free = [false; 3];
        let e = sink_sources(&sink(), &free, &idents(&["a", "x"])).unwrap_err();
        assert!(e.message.contains("Unknown target column 'x'"), "{}", e.message);
        let e = sink_sources(&sink(), &free, &idents(&["a", "a"])).unwrap_err();
        assert!(e.message.contains("Target column 'a' is assigned more than once"), "{}", e.message);
        // A NOT NULL or primary key column left out.
        let e = sink_sources(&sink(), &[false, false, true], &idents(&["a", "b"])).unwrap_err();
        assert!(e.message.contains("Column 'c' has no default value and does not allow NULLs"), "{}", e.message);
    }
}
