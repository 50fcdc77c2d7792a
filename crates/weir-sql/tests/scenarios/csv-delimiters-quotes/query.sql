-- CSV dialects: a tab delimiter written '\t', a pipe delimiter with a single-quote quote
-- character and a backslash escape, and quoting disabled (quotes are data).
CREATE TABLE tabbed (id INT, s STRING, x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/tabbed.tsv', 'format' = 'csv',
      'csv.field-delimiter' = '\t');

CREATE TABLE piped (id INT, s STRING, x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/piped.txt', 'format' = 'csv',
      'csv.field-delimiter' = '|', 'csv.quote-character' = '''', 'csv.escape-character' = '\');

CREATE TABLE noquote (id INT, s STRING, x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/noquote.csv', 'format' = 'csv',
      'csv.disable-quote-character' = 'true');

CREATE TABLE `out` (src STRING, id INT, s STRING, len INT, x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT 'tab', id, s, CHAR_LENGTH(s), x FROM tabbed
UNION ALL
SELECT 'pipe', id, s, CHAR_LENGTH(s), x FROM piped
UNION ALL
SELECT 'noquote', id, s, CHAR_LENGTH(s), x FROM noquote;
