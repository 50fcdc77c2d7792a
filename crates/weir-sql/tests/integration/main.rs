//! Every integration test of this crate in one binary: one link of the large dependency
//! graph instead of one per file, which keeps a clean test build small on disk and fast.
//! Shared helpers first, then one module per area.

mod functions_common;
mod sql_common;

mod format_avro;
mod format_csv;
mod format_json;
mod format_parquet;
mod format_print;
mod functions_aggregate;
mod functions_datetime;
mod functions_math_json;
mod functions_string;
mod parser_errors;
mod parser_statements;
mod parser_types;
mod parser_window_tvf;
mod sql_catalogs;
mod sql_checkpointing;
mod sql_errors;
mod sql_expressions;
mod sql_filesystem;
mod sql_filesystem_bulk;
mod sql_flink_refusals;
mod sql_formats_cdc;
mod sql_formats_datastream;
mod sql_formats_decoder;
mod sql_group_window_errors;
mod sql_jdbc;
mod sql_jdbc_datastream;
mod sql_joins;
mod sql_kafka;
mod sql_kafka_avro;
mod sql_kafka_avro_confluent;
mod sql_over_errors;
mod sql_over_updating;
mod sql_proctime;
mod sql_rescale_in_flight;
mod sql_scenarios;
mod sql_socket;
mod sql_source_connectors;
mod sql_time_zone;
mod sql_values;
