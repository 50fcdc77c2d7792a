-- ORDER BY … LIMIT on a stream: a global Top-3 by seconds (ties broken by artist), kept up
-- to date as rows arrive, with the rank number shown.
CREATE TABLE plays (artist STRING, genre STRING, secs INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/plays.jsonl', 'format' = 'json');

SELECT artist, genre, secs FROM plays ORDER BY secs DESC, artist LIMIT 3;
