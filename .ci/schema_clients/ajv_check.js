const Ajv2020 = require(process.env.NODE_MODULES + "/ajv/dist/2020");
const yaml = require(process.env.NODE_MODULES + "/js-yaml");
const fs = require("fs");
const schema = JSON.parse(fs.readFileSync(process.argv[2]));
const ajv = new Ajv2020({allErrors: true});
const validate = ajv.compile(schema);
for (const f of process.argv.slice(3)) {
  const ok = validate(yaml.load(fs.readFileSync(f, "utf8")));
  console.log(f, ok ? "valid" : JSON.stringify(validate.errors.filter(e => e.keyword !== "if").map(e => e.instancePath + " " + e.message + " " + JSON.stringify(e.params))));
}
