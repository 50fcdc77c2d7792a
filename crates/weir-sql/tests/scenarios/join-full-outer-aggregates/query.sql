-- Full outer join of two updating inputs (group aggregations): every change of either
-- aggregate retracts the joined rows it replaces; pages on one side only are padded with
-- nulls on the other, and re-padded or joined as the other side changes. NULL pages
-- form their own groups but never match.
CREATE TABLE page_views (
  page STRING,
  ms INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/views.jsonl', 'format' = 'json');

CREATE TABLE sales (
  page STRING,
  amount INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');

SELECT v.page AS view_page, v.n, v.total_ms, s.page AS sale_page, s.revenue
FROM (SELECT page, COUNT(*) AS n, SUM(ms) AS total_ms FROM page_views GROUP BY page) AS v
FULL OUTER JOIN (SELECT page, SUM(amount) AS revenue FROM sales GROUP BY page) AS s
  ON v.page = s.page AND s.revenue > 0;
