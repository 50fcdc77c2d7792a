-- A view over a view, a WITH clause of two named queries and SELECT DISTINCT (NULLs are one
-- distinct value): distinct (user, country) pairs counted per country.
CREATE TABLE logins (u STRING, country STRING, device STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/logins.jsonl', 'format' = 'json');

CREATE VIEW pairs AS SELECT DISTINCT u, country FROM logins;
CREATE VIEW phones AS SELECT DISTINCT u FROM logins WHERE device = 'phone';

WITH per_country AS (
  SELECT country, COUNT(*) AS users FROM pairs GROUP BY country
), phone_users AS (
  SELECT p.country, COUNT(*) AS phone_users FROM pairs p JOIN phones ph ON p.u = ph.u GROUP BY p.country
)
SELECT c.country, c.users, COALESCE(ph.phone_users, 0) AS phone_users
FROM per_country c LEFT JOIN phone_users ph ON c.country IS NOT DISTINCT FROM ph.country;
