# Lists the records python-evtx (Debian python3-evtx) reads from an EVTX file, one JSON object per
# line: {"id": record number, "eventId", "recordId", "time"} — the reference the EVTX parser test
# compares with. Exits non-zero when python-evtx cannot read the file.
import json
import re
import sys

import Evtx.Evtx as evtx

EVENT_ID = re.compile(r"<EventID[^>]*>(\d+)</EventID>")
RECORD_ID = re.compile(r"<EventRecordID>(\d+)</EventRecordID>")
TIME = re.compile(r'<TimeCreated SystemTime="([^"]*)"')

with evtx.Evtx(sys.argv[1]) as log:
    for record in log.records():
        xml = record.xml()
        e = EVENT_ID.search(xml)
        r = RECORD_ID.search(xml)
        t = TIME.search(xml)
        print(json.dumps({
            "id": record.record_num(),
            "eventId": int(e.group(1)) if e else None,
            "recordId": int(r.group(1)) if r else None,
            "time": t.group(1) if t else None,
        }))
