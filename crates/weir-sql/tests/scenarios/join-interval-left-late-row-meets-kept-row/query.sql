-- A late shipment (108 at 15 s, behind the shipments' watermark of 19.5 s) still meets
-- order 'second' (9 s), whose range (9..19 s) the watermark has passed: Flink keeps a key's
-- orders until the key's cleanup timer, set by its first order ('first', 10 s) at
-- 10 + 10 + 0.001 s, fires. Whatever the arrival order of the two inputs, both orders join.
CREATE TABLE orders (oid INT, note STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE shipments (sid INT, oid INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/shipments.jsonl', 'format' = 'json');
CREATE TABLE `out` (oid INT, note STRING, sid INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out`
SELECT o.oid, o.note, s.sid
FROM orders o LEFT JOIN shipments s
ON o.oid = s.oid AND s.ts BETWEEN o.ts AND o.ts + INTERVAL '10' SECOND;
