// An S3-compatible server (s3rver, from npm) on 127.0.0.1, as its own process so that a test can kill it
// mid-upload (an outage) and start it again on the same port and directory. Args: port, directory, bucket.
import S3rver from "s3rver";

const [port, directory, bucket] = process.argv.slice(2);
const server = new S3rver({ port: Number(port), address: "127.0.0.1", directory, silent: true, configureBuckets: [{ name: bucket }] });
const { port: listening } = await server.run();
process.stdout.write(`listening ${listening}\n`);
process.on("SIGTERM", () => void server.close().finally(() => process.exit(0)));
