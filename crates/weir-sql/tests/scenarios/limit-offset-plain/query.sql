-- LIMIT on a stream: the first 2 rows to arrive (no order), beside an ORDER BY … LIMIT 2
-- OFFSET 1 (2nd and 3rd longest plays per the order, ties broken by artist).
CREATE TABLE plays (artist STRING, genre STRING, secs INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/plays.jsonl', 'format' = 'json');

SELECT 'first' AS q, artist, secs FROM (SELECT artist, secs FROM plays LIMIT 2)
UNION ALL
SELECT 'offset', artist, secs FROM (SELECT artist, secs FROM plays ORDER BY secs DESC, artist LIMIT 2 OFFSET 1);
