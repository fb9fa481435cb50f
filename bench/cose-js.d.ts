// Minimal types for cose-js 0.9.0 (CommonJS, untyped): only what bench/bench.ts calls.
declare module 'cose-js' {
  interface CoseJs {
    mac: {
      /** Mac0/Mac; resolves to the payload, rejects on a tag mismatch. */
      read(data: Buffer, key: Buffer, externalAAD?: Buffer, options?: object): Promise<Buffer>;
    };
    sign: {
      verify(data: Buffer, verifier: { key: { x: Buffer; y: Buffer; kid?: string } }, options?: object): Promise<Buffer>;
      verifySync(data: Buffer, verifier: { key: { x: Buffer; y: Buffer; kid?: string } }, options?: object): Buffer;
    };
    encrypt: {
      /** Encrypt0/Encrypt; resolves to the plaintext. */
      read(data: Buffer, key: Buffer, options?: object): Promise<Buffer>;
    };
  }
  const cose: CoseJs;
  export default cose;
}
