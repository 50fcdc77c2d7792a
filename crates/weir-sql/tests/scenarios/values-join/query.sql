-- VALUES as a table: a literal lookup table joined with a stream (LEFT join keeps codes it
-- does not know), and a VALUES query in a view with mixed numeric literals widened to one type.
CREATE TABLE events (code INT, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');

CREATE VIEW codes AS SELECT * FROM (VALUES (1, 'one', 1.5), (2, 'two', 2), (3, 'three', -0.25)) AS t(code, name, w);

SELECT e.code, c.name, SUM(e.n) AS n, SUM(e.n * c.w) AS weighted
FROM events e LEFT JOIN codes c ON e.code = c.code
GROUP BY e.code, c.name;
