import { execFileSync } from "node:child_process";
import path from "node:path";
import globalSetup from "./global-setup";

/**
 * The system project's setup: the tests that run the compiled server and scripts as users do
 * (`node dist/src/main.js`, `dist/scripts/*.js`) get one build, made here before any of them
 * starts, so that none compiles on its own or while another runs.
 */
export default async function globalSetupWithBuild() {
  if (!process.env.TEST_BUILD_DONE) {
    const root = path.join(__dirname, "..", "..");
    execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
    process.env.TEST_BUILD_DONE = "1";
  }
  await globalSetup();
}
