// The scheduled reconciler's record for each flag of a case file (bucketing_judge.py --flags-only),
// to compare with FlagRecord's byte for byte. Prints a JSON array (null where it refuses the flag).
import fs from 'node:fs';
import { makeRecord } from '../../../templates/edge-function/reconciler.mjs';

const document = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
process.stdout.write(JSON.stringify(document.cases.map((item) => makeRecord(item.flag))));
