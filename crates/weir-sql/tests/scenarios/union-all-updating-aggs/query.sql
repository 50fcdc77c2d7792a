CREATE TABLE web (id INT, cust STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/web.jsonl', 'format' = 'json');
CREATE TABLE shop (id INT, cust STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/shop.jsonl', 'format' = 'json');

WITH w AS (SELECT cust, 'web' AS channel, SUM(amount) AS total, COUNT(*) AS n FROM web GROUP BY cust),
     s AS (SELECT cust, 'shop' AS channel, SUM(amount) AS total, COUNT(*) AS n FROM shop GROUP BY cust),
     both_ AS (SELECT * FROM w UNION ALL SELECT * FROM s)
SELECT cust, SUM(total) AS total, SUM(n) AS n, COUNT(*) AS channels, MAX(total) AS best
FROM both_ GROUP BY cust;
