CREATE TABLE budget (dept STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/budget.jsonl', 'format' = 'json');
CREATE TABLE spend (dept STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/spend.jsonl', 'format' = 'json');

SELECT b.dept, b.budget, s.spent
FROM (SELECT dept, SUM(amount) AS budget FROM budget GROUP BY dept) b
LEFT JOIN (SELECT dept, SUM(amount) AS spent FROM spend GROUP BY dept) s
ON b.dept = s.dept AND s.spent > b.budget;
