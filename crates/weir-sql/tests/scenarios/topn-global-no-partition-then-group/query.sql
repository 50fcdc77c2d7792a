-- A Top-N without PARTITION BY (the 4 largest bids overall, rank not selected) over an
-- insert-only stream, followed by a GROUP BY on the Top-N's rows: how many of the top bids
-- each bidder holds and their best; rows leave the top as bigger bids arrive.
CREATE TABLE bids (id INT, bidder STRING, price DECIMAL(10, 2), item STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/bids.jsonl', 'format' = 'json');

CREATE VIEW top_bids AS
SELECT id, bidder, price, item FROM (
  SELECT *, ROW_NUMBER() OVER (ORDER BY price DESC NULLS LAST, id ASC) AS rn FROM bids)
WHERE rn <= 4;

SELECT bidder, COUNT(*) AS n, MAX(price) AS best, SUM(price) AS total, MIN(item) AS some_item
FROM top_bids GROUP BY bidder;
