// A node:test reporter: one JSON line per finished test (suites left out), read by run.sh.
export default async function* reporter(source) {
  for await (const { type, data } of source) {
    if (type !== "test:pass" && type !== "test:fail") continue;
    if (data?.details?.type === "suite") continue;
    const line = { status: type === "test:pass" ? "pass" : "fail", name: data.name, nesting: data.nesting };
    if (type === "test:fail") {
      const err = data.details?.error;
      const cause = err?.cause ?? err;
      line.message = String(cause?.message ?? cause ?? "unknown failure");
    }
    yield JSON.stringify(line) + "\n";
  }
}
