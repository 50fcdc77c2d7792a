-- ALTER TABLE between statements: a column added after another (read from the JSON field
-- of that name), a computed column and a watermark added together, a column dropped and one
-- renamed, a type widened by MODIFY, options reset; then a tumbling window over the altered
-- table, read by its database-qualified name, into a table of another database.
CREATE DATABASE staging;
CREATE TABLE staging.items (id INT, name STRING, price DOUBLE, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/items.jsonl', 'format' = 'json', 'json.fail-on-missing-field' = 'false');
USE staging;
ALTER TABLE items ADD qty INT AFTER name;
ALTER TABLE items ADD (total AS price * qty, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
ALTER TABLE items DROP name;
ALTER TABLE items RENAME id TO item_id;
ALTER TABLE items MODIFY qty BIGINT;
ALTER TABLE items RESET ('json.fail-on-missing-field');
USE default_database;
CREATE TABLE per_window (window_start TIMESTAMP(3), items BIGINT, qty BIGINT, total DOUBLE, max_id INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO default_database.per_window
SELECT window_start, COUNT(*), SUM(qty), SUM(total), MAX(item_id)
FROM TABLE(TUMBLE(TABLE staging.items, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
