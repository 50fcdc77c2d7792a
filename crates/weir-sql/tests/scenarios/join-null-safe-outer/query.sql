-- IS NOT DISTINCT FROM as a join condition (NULL keys meet), next to FULL OUTER and LEFT joins
-- on = where NULL keys never meet and come out padded.
CREATE TABLE l (lid INT, k STRING, lv INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/l.jsonl', 'format' = 'json');
CREATE TABLE r (rid INT, k STRING, rv INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/r.jsonl', 'format' = 'json');

SELECT 'nd' AS q, l.lid, r.rid, l.k AS lk, r.k AS rk FROM l JOIN r ON l.k IS NOT DISTINCT FROM r.k
UNION ALL
SELECT 'full', l.lid, r.rid, l.k, r.k FROM l FULL OUTER JOIN r ON l.k = r.k
UNION ALL
SELECT 'left', l.lid, r.rid, l.k, r.k FROM l LEFT JOIN r ON l.k = r.k AND r.rv > l.lv
UNION ALL
SELECT 'distinct', l.lid, r.rid, l.k, r.k FROM l JOIN r ON l.lid = r.rid AND l.k IS DISTINCT FROM r.k;
