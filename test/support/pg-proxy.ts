import net from "node:net";

/**
 * A TCP proxy in front of PostgreSQL that can cut every connection and refuse new ones, to make
 * the database unreachable for a while. Unlike a bare `pipe`, it closes one side when the other
 * goes, however it goes: a backend killed by pg_terminate_backend may reset its socket, and a
 * pipe would then leave the app's side open and silent, a network partition rather than the
 * fault under test.
 */
export async function startPgProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    const pair = [client, upstream];
    for (const s of pair) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on("close", () => {
        sockets.delete(s);
        for (const other of pair) if (!other.destroyed) other.end(() => other.destroy());
      });
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    /** `target` with its host and port replaced by the proxy's. */
    url(): string {
      const via = new URL(target.toString());
      via.host = `127.0.0.1:${port}`;
      return via.toString();
    },
    cut: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
    restore: () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve)),
  };
}
