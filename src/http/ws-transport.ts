import type { FastifyRequest } from "fastify";
import type { WebSocket, WebsocketHandler } from "@fastify/websocket";
import { CloseCode, handleProtocols, type Server } from "graphql-ws";
import { logger } from "../common/logger";

/** A socket whose own buffer holds more than this waits for it to drain before taking the next message. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Ping every so often; a socket that has not answered the previous ping by then is cut. */
const KEEP_ALIVE_MS = 12_000;

/**
 * graphql-ws's server on @fastify/websocket sockets (what graphql-ws's own `makeHandler` does),
 * with one difference: the messages a socket is sent within one turn of the event loop leave in
 * one write. An event reaches each of its subscribers' sockets, and a write per message per socket
 * was most of the time subscribers cost (bench/RESULTS.md, Session 6); corked until the turn ends,
 * the events a read of the log hands over go out together. A send returns at once unless the
 * socket's buffer is over HIGH_WATER_BYTES (a slow reader), then it waits for the buffer to drain.
 */
export function graphqlWsHandler<E extends Record<PropertyKey, unknown>>(server: Server<E>): WebsocketHandler {
  let protocolsSet = false;
  return function handler(this: { websocketServer: { options: { handleProtocols?: unknown } } }, socket: WebSocket, request: FastifyRequest) {
    if (!protocolsSet) {
      this.websocketServer.options.handleProtocols = handleProtocols;
      protocolsSet = true;
    }
    const raw = (socket as unknown as { _socket: import("node:net").Socket })._socket;
    let corked = false;
    const send = (data: string) =>
      new Promise<void>((resolve, reject) => {
        if (socket.readyState !== socket.OPEN) return resolve();
        if (!corked && raw) {
          corked = true;
          raw.cork();
          setImmediate(() => {
            corked = false;
            raw.uncork();
          });
        }
        const full = socket.bufferedAmount > HIGH_WATER_BYTES;
        socket.send(data, (err) => {
          if (!full) return;
          if (err) reject(err);
          else resolve();
        });
        if (!full) resolve();
      });

    socket.once("error", (err) => {
      logger.warn({ err }, "WebSocket error");
      socket.close(CloseCode.InternalServerError, "Internal server error");
    });
    let pongWait: NodeJS.Timeout | null = null;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once("pong", () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, KEEP_ALIVE_MS);

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send,
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on("message", async (message) => {
            try {
              await cb(String(message));
            } catch (err) {
              logger.error({ err }, "handling a WebSocket message failed");
              socket.close(CloseCode.InternalServerError, "Internal server error");
            }
          }),
      },
      { socket, request } as unknown as E,
    );
    socket.once("close", (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(ping);
      void closed(code, String(reason));
    });
  };
}
