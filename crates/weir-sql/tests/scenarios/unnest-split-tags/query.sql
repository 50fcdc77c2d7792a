-- Tags kept as a comma-separated string: SPLIT into an ARRAY, CROSS JOIN UNNEST, TRIM and
-- LOWER, empty tags (",," and a trailing comma) filtered out, then counted per tag.
CREATE TABLE posts (pid INT, tags STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/posts.jsonl', 'format' = 'json');

SELECT LOWER(TRIM(tag)) AS tag, COUNT(*) AS n, COUNT(DISTINCT pid) AS posts
FROM posts CROSS JOIN UNNEST(SPLIT(tags, ',')) AS t(tag)
WHERE TRIM(tag) <> ''
GROUP BY LOWER(TRIM(tag));
