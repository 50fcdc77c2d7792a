-- Mini-batch settings as in a production script; a Debezium ticket table, open tickets per
-- agent, then how many agents have each number of open tickets (an aggregate of an
-- aggregate: counts move between groups, a group empties and disappears).
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '2 s';
SET 'table.exec.mini-batch.size' = '3';
SET 'parallelism.default' = '2';

CREATE TABLE tickets (id INT, agent STRING, status STRING, prio INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/tickets.json', 'format' = 'debezium-json');

CREATE VIEW open_per_agent AS
SELECT agent, COUNT(*) AS open_, SUM(prio) AS prio_sum, MIN(prio) AS top_prio
FROM tickets WHERE status = 'open' GROUP BY agent;

SELECT open_, COUNT(*) AS agents, SUM(prio_sum) AS prio_sum, MIN(top_prio) AS top_prio,
       MAX(agent) AS last_agent
FROM open_per_agent GROUP BY open_;
