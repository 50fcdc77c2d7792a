-- The last status per device by event time (ROW_NUMBER ORDER BY ts DESC = 1) over a view that
-- drops test devices and normalises the status, joined to a device table (regular join) and
-- counted per site: the dedup updates when a newer row comes (equal times: the later row
-- wins; an older row is ignored), the join and the aggregate follow.
CREATE TABLE status (device STRING, st STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/status.jsonl', 'format' = 'json');
CREATE TABLE devices (device STRING, site STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/devices.jsonl', 'format' = 'json');

CREATE VIEW clean AS
SELECT device, UPPER(TRIM(st)) AS st, ts FROM status WHERE device NOT LIKE 'test%';

CREATE VIEW latest AS
SELECT device, st, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY device ORDER BY ts DESC) AS rn FROM clean)
WHERE rn = 1;

SELECT d.site, l.st, COUNT(*) AS devices, MAX(l.ts) AS newest
FROM latest AS l JOIN devices AS d ON l.device = d.device
GROUP BY d.site, l.st;
