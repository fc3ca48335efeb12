// Parses BPMN XML from standard input with bpmn-moddle (the reader bpmn.io uses) and prints
// what it thought of it as JSON: {"warnings": [...], "error": null | "...", "rootType": "..."}.
// Used by tests/processes/test_bpmn.py; the first argument is the node_modules folder that
// holds bpmn-moddle (var/node/node_modules), since this file does not live beside it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const { BpmnModdle } = await import(
  pathToFileURL(join(modules, "bpmn-moddle", "dist", "index.js")).href
);
const xml = readFileSync(0, "utf8");
const result = { warnings: [], error: null, rootType: null };
try {
  const { rootElement, warnings } = await BpmnModdle().fromXML(xml);
  result.rootType = rootElement.$type;
  result.warnings = warnings.map((warning) => warning.message);
} catch (error) {
  result.error = String(error.message || error);
  result.warnings = (error.warnings || []).map((warning) => warning.message);
}
process.stdout.write(JSON.stringify(result));
