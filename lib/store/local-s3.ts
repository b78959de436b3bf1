import fs from "node:fs";
import S3rver from "s3rver";

export { localS3Credentials } from "./local-s3-credentials";

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  close(): Promise<void>;
}

/**
 * An S3-compatible server on 127.0.0.1 for tests and benchmarks (`npm start`
 * has its own copy in scripts/local-s3.mjs). Port 0 picks a free port.
 */
export async function startLocalS3(options: {
  directory: string;
  bucket: string;
  port?: number;
}): Promise<LocalS3> {
  fs.mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    address: "127.0.0.1",
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    configureBuckets: [{ name: options.bucket }],
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket: options.bucket,
    close: () => {
      // Keep-alive sockets (SDK clients, proxies) would hold close() open.
      server.httpServer?.closeAllConnections();
      return server.close();
    },
  };
}
