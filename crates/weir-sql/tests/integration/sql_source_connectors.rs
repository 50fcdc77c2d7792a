//! The `nexmark` and `datagen` source connectors from SQL: what they produce, and the
//! errors for tables they cannot serve.

use crate::sql_common;

use sql_common::{error, run};

/// The values of the last change of a one-row result (`+I[…]` or `+U[…]`).
fn last(rows: &[String]) -> &str {
    let row = rows.last().expect("a result row");
    assert!(row.starts_with("+I[") || row.starts_with("+U["), "{row}");
    &row[2..]
}

const BID: &str =
    "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3), extra STRING,
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND)
  WITH ('connector' = 'nexmark', 'event-type' = 'bid', 'events.num' = '5000', 'seed' = '9');";

#[test]
fn nexmark_tables_keep_their_event_type_and_do_not_depend_on_parallelism() {
    let sql = format!("{BID}\nSELECT COUNT(*), MIN(auction) >= 1000, COUNT(DISTINCT bidder) > 1 FROM bid;");
    // Of 5,000 events from id 2, 46 in every 50 are bids.
    let bids = (2..5002).filter(|id| id % 50 >= 4).count();
    for p in [1, 2] {
        let rows = run(&sql, p).unwrap();
        assert_eq!(last(&rows), format!("[{bids}, true, true]"), "parallelism {p}: {rows:?}");
    }
}

#[test]
fn nexmark_column_errors_name_the_fields() {
    let e =
        error("CREATE TABLE person (id BIGINT, nme STRING) WITH ('connector' = 'nexmark', 'event-type' = 'person');");
    assert!(e.contains("Column 'nme' of table 'person' is not a field of Nexmark person events"), "{e}");
    assert!(e.contains("Did you mean 'name'?"), "{e}");
    let e = error("CREATE TABLE bid (price STRING) WITH ('connector' = 'nexmark', 'event-type' = 'bid');");
    assert!(e.contains("Column 'price' of table 'bid' is Utf8 but the Nexmark field is BIGINT"), "{e}");
    let e = error("CREATE TABLE x (id BIGINT) WITH ('connector' = 'nexmark', 'event-type' = 'bids');");
    assert!(e.contains("must be 'person', 'auction' or 'bid', got 'bids'"), "{e}");
    let e = error(
        "CREATE TABLE x (id BIGINT) WITH ('connector' = 'nexmark', 'event-type' = 'person', 'events.num' = 'many');",
    );
    assert!(e.contains("Option 'events.num' of table 'x' must be a non-negative whole number"), "{e}");
}

#[test]
fn datagen_sequences_bound_the_table() {
    let sql = "CREATE TABLE g (id INT, v STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000',
        'fields.id.kind' = 'sequence', 'fields.id.start' = '-5', 'fields.id.end' = '94', 'fields.v.length' = '3');
      SELECT COUNT(*), SUM(id), MIN(id), MAX(id), COUNT(DISTINCT id) FROM g;";
    for p in [1, 2] {
        assert_eq!(last(&run(sql, p).unwrap()), "[100, 4450, -5, 94, 100]", "parallelism {p}");
    }
    let sql = "CREATE TABLE g (b BOOLEAN, d DOUBLE) WITH ('connector' = 'datagen', 'number-of-rows' = '500',
        'rows-per-second' = '1000000', 'fields.d.min' = '-1', 'fields.d.max' = '1', 'fields.b.null-rate' = '0.5');
      SELECT COUNT(*), COUNT(b) < 400, COUNT(b) > 100, MIN(d) >= -1, MAX(d) <= 1 FROM g;";
    assert_eq!(last(&run(sql, 1).unwrap()), "[500, true, true, true, true]");
}

#[test]
fn datagen_option_errors_say_what_is_wrong() {
    let e = error("CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1');");
    assert!(e.contains("Sequence field 'id' of table 'g' needs 'fields.id.start' and 'fields.id.end'"), "{e}");
    let e = error("CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'fields.idd.min' = '1');");
    assert!(e.contains("Option 'fields.idd.min' of table 'g' names no column 'idd'"), "{e}");
    let e = error("CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'fields.id.minimum' = '1');");
    assert!(e.contains("Unsupported option 'fields.id.minimum'"), "{e}");
    let e =
        error("CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'fields.id.min' = '9', 'fields.id.max' = '1');");
    assert!(e.contains("'max' (1) is below 'min' (9)"), "{e}");
    let e = error("CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'rows-per-second' = '0');");
    assert!(e.contains("'rows-per-second' of table 'g' must be positive"), "{e}");
}

#[test]
fn datagen_fills_time_columns_of_both_precisions() {
    // TIME (= TIME(0)) is held in seconds, TIME(3) in milliseconds.
    let sql = "CREATE TABLE g (t0 TIME, t3 TIME(3)) WITH ('connector' = 'datagen', 'number-of-rows' = '50',
        'rows-per-second' = '1000000');
      SELECT COUNT(t0), COUNT(t3), MIN(t0) >= TIME '00:00:00', MAX(t3) <= TIME '23:59:59.999' FROM g;";
    assert_eq!(last(&run(sql, 1).unwrap()), "[50, 50, true, true]");
}
