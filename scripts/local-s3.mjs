// The local object storage `npm start` runs when no S3 endpoint is configured:
// s3rver on 127.0.0.1, its data in the data folder, the bucket created.
// (lib/store/local-s3.ts is the same for tests, in TypeScript.)
import fs from "node:fs";
import S3rver from "s3rver";

export async function startLocalS3({ directory, bucket, port = 0 }) {
  fs.mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: "127.0.0.1",
    port,
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () => {
      server.httpServer?.closeAllConnections();
      return server.close();
    },
  };
}
