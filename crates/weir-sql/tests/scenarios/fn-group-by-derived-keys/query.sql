-- A reporting query grouping by keys computed with functions: the lower-cased host from
-- PARSE_URL, the ISO week start from FLOOR(... TO WEEK) shifted to Monday, a device class
-- from REGEXP_EXTRACT with a COALESCE default, and the campaign from a URL query parameter.
CREATE TABLE events (id INT, url STRING, ts TIMESTAMP(0), amount DECIMAL(8, 2), ua STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');

SELECT
  COALESCE(LOWER(PARSE_URL(url, 'HOST')), '(none)') AS host,
  DATE_FORMAT(TIMESTAMPADD(DAY, 1, FLOOR(TIMESTAMPADD(DAY, -1, ts) TO WEEK)), 'yyyy-MM-dd') AS week_start,
  COALESCE(NULLIF(REGEXP_EXTRACT(ua, '\((iPhone|Android|Windows)', 1), ''), 'other') AS device,
  UPPER(COALESCE(NULLIF(PARSE_URL(url, 'QUERY', 'utm_source'), ''), 'direct')) AS campaign,
  COUNT(*) AS n,
  SUM(amount) AS revenue,
  MAX(CHAR_LENGTH(url)) AS max_len
FROM events
GROUP BY
  COALESCE(LOWER(PARSE_URL(url, 'HOST')), '(none)'),
  DATE_FORMAT(TIMESTAMPADD(DAY, 1, FLOOR(TIMESTAMPADD(DAY, -1, ts) TO WEEK)), 'yyyy-MM-dd'),
  COALESCE(NULLIF(REGEXP_EXTRACT(ua, '\((iPhone|Android|Windows)', 1), ''), 'other'),
  UPPER(COALESCE(NULLIF(PARSE_URL(url, 'QUERY', 'utm_source'), ''), 'direct'));
