//! Flink built-in functions DataFusion lacks or defines differently, as DataFusion user-defined
//! functions.
//!
//! The planner registers DataFusion's defaults (`datafusion_functions::all_default_functions()`,
//! `datafusion_functions_aggregate::all_default_aggregate_functions()`) and then everything from
//! [`flink_scalar_functions`] / [`flink_aggregate_functions`], so that a function here **replaces**
//! a DataFusion function (or alias) of the same name. Replaced, because Flink's semantics differ:
//!
//! | name | DataFusion | Flink (here) |
//! |---|---|---|
//! | `concat` | skips NULL arguments | NULL if any argument is NULL |
//! | `substr`, `substring` | Postgres: `substr('abc', 0, 2)` = `'a'` | start 0 = 1: `'ab'`; negative start counts from the end; negative length → NULL |
//! | `left`, `right` | negative n drops characters | negative n → `''` |
//! | `lpad`, `rpad` | negative length → `''` | negative length or empty pad → NULL |
//! | `instr` (alias of strpos) | 2 arguments | up to 4 (start position, occurrence) |
//! | `ascii` | code point | first UTF-8 byte, signed |
//! | `chr` | any code point, error on 0 | `n & 255`, `''` for negative n |
//! | `initcap` | Unicode words | Calcite's ASCII-word rule |
//! | `log` | `log(x)` is base 10 | `LOG(x)` is natural; `LOG(b, x)` base b |
//! | `power` | BIGINT for integer arguments | always DOUBLE |
//! | `rand` (alias of random) | no seed | optional seed (java.util.Random sequence) |
//! | `to_timestamp`, `to_date`, `date_format` (alias of to_char), `from_unixtime` | chrono/strftime formats | Java `SimpleDateFormat`/`DateTimeFormatter` patterns |
//! | `now`, `current_timestamp`, `current_date`, `current_time`, `localtime`, `localtimestamp` | constant per query (UTC) | per row; TIMESTAMP_LTZ / the session zone's wall clock |
//! | `first_value`, `last_value` (aggregates) | first/last row, NULLs included | first/last non-NULL value; retractable |
//! | `regexp_replace` | first match only, `$n` group references | every match, replacement taken literally |
//! | `greatest`, `least` | skip NULL arguments | NULL if any argument is NULL |
//! | `ceil`, `floor` | DECIMAL keeps its scale | DECIMAL(p, s) → DECIMAL(p - s + 1, 0) |
//! | `round` | binary rounding of DOUBLE (`ROUND(1.005E0, 2)` = 1.0), -0.0, INT overflow fails | on the decimal text (1.01), never -0.0, INT wraps |
//! | `replace` | empty search string → input unchanged | Java's `String.replace`: `REPLACE('ab', '', '#')` = `'#a#b#'` |
//! | `encode`, `decode` | base64 / hex text | a string's bytes in a Java charset and back (`ENCODE(s, 'UTF-16LE')`) |
//! | `overlay` | SQL standard | start outside the string → unchanged; tail dropped when start + len passes the end |
//! | `array_contains` (alias of array_has) | NULL needle → NULL | NULL-safe: TRUE iff the array holds a NULL |
//! | `array_slice` | 3 arguments or more | `ARRAY_SLICE(arr, start)` runs to the end |
//! | `array_concat`, `array_append`, `array_prepend` | a NULL array is empty; `array_prepend(x, arr)` | NULL for a NULL array; `ARRAY_PREPEND(arr, x)` |
//! | `array_sort` | `'ASC'`/`'DESC'`, `'NULLS FIRST'` strings | BOOLEAN `ascending`, `nullsFirst` (default: = ascending) |
//!
//! Kept from DataFusion because they already match Flink: `char_length`/`character_length`,
//! `concat_ws` (skips NULLs, NULL separator → NULL), `repeat`, `reverse`, `upper`,
//! `lower`, `trim`/`ltrim`/`rtrim`, `uuid`, `nvl` alias `ifnull`, `coalesce`, `nullif`,
//! `ln`, `log2`, `log10`, math functions, `position` (via the SQL planner → strpos).
//!
//! Time zones: functions that depend on the session zone (`TIMESTAMP_LTZ` rendering and field
//! extraction, `UNIX_TIMESTAMP(str)`, `FROM_UNIXTIME`, casts between `TIMESTAMP` and
//! `TIMESTAMP_LTZ`, `CURRENT_TIMESTAMP`…) take it from [`FunctionConfig`]; the default is UTC
//! (see [`LocalTimeZone`]).

pub mod aggregate;
mod array;
pub mod cast;
mod charset;
pub mod collection;
mod common;
pub mod datetime;
mod floor_ceil;
mod hash;
pub mod json;
pub mod lag;
pub mod math;
pub mod proctime;
mod resolver;
mod rounding;
mod string;
mod text;
pub mod time_zone;

use std::sync::Arc;

use datafusion_expr::{AggregateUDF, ScalarUDF};

pub use common::FunctionConfig;
pub use time_zone::LocalTimeZone;

/// Flink scalar functions for a UTC session (see [`flink_scalar_functions_with`]).
pub fn flink_scalar_functions() -> Vec<Arc<ScalarUDF>> {
    flink_scalar_functions_with(FunctionConfig::default())
}

/// Flink scalar functions with the given session configuration. Register after DataFusion's
/// defaults: same-named functions here replace DataFusion's.
pub fn flink_scalar_functions_with(cfg: FunctionConfig) -> Vec<Arc<ScalarUDF>> {
    let mut v = string::udfs();
    v.extend(hash::udfs());
    v.extend(math::udfs());
    v.extend(rounding::udfs());
    v.extend(json::udfs());
    v.extend(datetime::udfs(cfg));
    v.push(proctime::proctime());
    v.push(proctime::as_of_marker());
    v.extend(cast::udfs(cfg));
    v.extend(collection::udfs());
    v.extend(array::udfs());
    v.extend(charset::udfs());
    v
}

/// Flink aggregate functions (LISTAGG; JSON_ARRAYAGG, JSON_OBJECTAGG; FIRST_VALUE and LAST_VALUE replacing DataFusion's;
/// `VARIANCE`, Flink's name for the sample variance; `GROUPING_ID`).
pub fn flink_aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    let variance =
        datafusion_functions_aggregate::variance::var_samp_udaf().as_ref().clone().with_aliases(["variance"]);
    // GROUPING_ID(a, b, …): DataFusion's GROUPING takes several arguments with the same meaning.
    let grouping =
        datafusion_functions_aggregate::grouping::grouping_udaf().as_ref().clone().with_aliases(["grouping_id"]);
    vec![
        aggregate::listagg(),
        aggregate::collect(),
        aggregate::first_value(),
        aggregate::last_value(),
        aggregate::json_arrayagg(),
        aggregate::json_objectagg(),
        Arc::new(variance),
        Arc::new(grouping),
    ]
}

/// Names of DataFusion functions (or aliases) that [`flink_scalar_functions`] and
/// [`flink_aggregate_functions`] replace.
pub const REPLACED_DATAFUSION_FUNCTIONS: &[&str] = &[
    "concat",
    "substr",
    "substring",
    "left",
    "right",
    "lpad",
    "rpad",
    "instr",
    "ascii",
    "chr",
    "initcap",
    "log",
    "power",
    "rand",
    "to_timestamp",
    "to_date",
    "date_format",
    "from_unixtime",
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtime",
    "localtimestamp",
    "first_value",
    "last_value",
    "regexp_replace",
    "overlay",
    "greatest",
    "least",
    "ceil",
    "floor",
    "round",
    "replace",
    "array_position",
    "array_remove",
    "array_contains",
    "array_slice",
    "array_concat",
    "array_append",
    "array_prepend",
    "array_sort",
    "map",
    "row",
    "encode",
    "decode",
];

/// Flink built-ins that DataFusion's default functions provide with Flink's semantics.
const FROM_DATAFUSION: &[&str] = &[
    "abs",
    "acos",
    "asin",
    "atan",
    "atan2",
    "avg",
    "char_length",
    "character_length",
    "coalesce",
    "concat_ws",
    "cos",
    "cosh",
    "cot",
    "count",
    "degrees",
    "exp",
    "ifnull",
    "ln",
    "log10",
    "log2",
    "lower",
    "ltrim",
    "max",
    "min",
    "nullif",
    "pi",
    "position",
    "radians",
    "repeat",
    "reverse",
    "rtrim",
    "sin",
    "sinh",
    "sqrt",
    "stddev_pop",
    "stddev_samp",
    "sum",
    "tan",
    "tanh",
    "trim",
    "upper",
    "uuid",
    "var_pop",
    "var_samp",
];

/// All Flink built-in function names available to SQL, sorted, for `SHOW FUNCTIONS`.
pub fn flink_function_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = FROM_DATAFUSION.to_vec();
    names.extend(string::functions().iter().map(common::FlinkScalar::static_name));
    names.extend([
        "md5",
        "sha1",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "sha2",
        "mod",
        "proctime",
        "power",
        "log",
        "rand",
        "rand_integer",
        "bin",
        "hex",
        "truncate",
        "round",
        "if",
        "json_value",
        "json_query",
        "json_exists",
        "json_quote",
        "json_unquote",
        "json_arrayagg",
        "json_objectagg",
        "date_format",
        "to_timestamp",
        "to_timestamp_ltz",
        "to_date",
        "unix_timestamp",
        "from_unixtime",
        "timestampadd",
        "timestampdiff",
        "convert_tz",
        "now",
        "current_timestamp",
        "current_date",
        "current_time",
        "localtime",
        "localtimestamp",
        "current_watermark",
        "year",
        "quarter",
        "month",
        "week",
        "dayofyear",
        "dayofmonth",
        "dayofweek",
        "hour",
        "minute",
        "second",
        "listagg",
        "sign",
        "grouping",
        "grouping_id",
        "greatest",
        "least",
        "ceil",
        "floor",
        "str_to_map",
        "cardinality",
        "element",
        "array_contains",
        "array_distinct",
        "array_position",
        "array_remove",
        "array_slice",
        "array_concat",
        "array_append",
        "array_prepend",
        "array_sort",
        "split",
        "map",
        "map_from_arrays",
        "map_union",
        "row",
        "regexp_replace",
        "overlay",
        "stddev",
        "variance",
        "first_value",
        "last_value",
        "encode",
        "decode",
    ]);
    names.sort_unstable();
    names.dedup();
    names
}
