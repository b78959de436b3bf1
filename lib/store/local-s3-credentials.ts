/** s3rver's fixed development credentials; it refuses unknown access keys. */
export const localS3Credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;
