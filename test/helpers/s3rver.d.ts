// The part of s3rver (npm, no types of its own) that test/helpers/s3rverMain.mjs uses.
declare module "s3rver" {
  export default class S3rver {
    constructor(options: { port: number; address: string; directory: string; silent?: boolean; configureBuckets?: { name: string }[] });
    run(): Promise<{ port: number }>;
    close(): Promise<void>;
  }
}
