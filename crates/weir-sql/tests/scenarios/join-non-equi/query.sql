-- A join without equal keys (price within a band's range), left outer: it runs as one
-- task; items in no band are padded with nulls, and retracted as bands arrive. The
-- latest price per item comes from a group aggregation, so the left input is updating.
CREATE TABLE prices (
  item STRING,
  price INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/prices.jsonl', 'format' = 'json');

CREATE TABLE bands (
  band STRING,
  lo INT,
  hi INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/bands.jsonl', 'format' = 'json');

SELECT p.item, p.top, b.band
FROM (SELECT item, MAX(price) AS top FROM prices GROUP BY item) AS p
LEFT JOIN bands AS b ON p.top >= b.lo AND p.top < b.hi;
