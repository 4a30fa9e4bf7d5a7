/**
 * The emulator's listening socket: a thin TCP (or TLS) front that forwards bytes to the HTTP
 * server on a private port. It exists so that sockets can be killed abruptly -- closing the
 * TCP connection sends no WebSocket close frame, which is what a crash or a network cut
 * looks like to the client (close code 1006) -- and so the real client address is known.
 */

/** A client connection as seen by the HTTP side. */
export interface FrontConnection {
  readonly remoteAddr: Deno.NetAddr;
  /** Drops the connection at once, both sides, without any protocol goodbye. */
  abort(): void;
}

interface Pair extends FrontConnection {
  done: Promise<void>;
}

/** Listens on the public address and pipes every connection to `targetPort` on loopback. */
export class TcpFront {
  private readonly byInnerPort = new Map<number, Pair>();
  private readonly pairs = new Set<Pair>();
  private readonly acceptLoop: Promise<void>;

  private constructor(
    private readonly listener: Deno.Listener,
    private readonly targetPort: number,
  ) {
    this.acceptLoop = this.accept();
  }

  /** Starts listening (TLS when cert and key are given). */
  static start(opts: {
    hostname: string;
    port: number;
    targetPort: number;
    tls?: { cert: string; key: string };
  }): TcpFront {
    const listener = opts.tls
      ? Deno.listenTls({
        hostname: opts.hostname,
        port: opts.port,
        cert: opts.tls.cert,
        key: opts.tls.key,
      })
      : Deno.listen({ hostname: opts.hostname, port: opts.port });
    return new TcpFront(listener, opts.targetPort);
  }

  /** The public port. */
  get port(): number {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  /** Client connections open now. */
  get open(): number {
    return this.pairs.size;
  }

  /** The client connection behind an inner connection (keyed by the inner source port). */
  lookup(innerPort: number): FrontConnection | undefined {
    return this.byInnerPort.get(innerPort);
  }

  /** Stops accepting, drops every connection, and waits until all pipes are gone. */
  async close(): Promise<void> {
    try {
      this.listener.close();
    } catch {
      // already closed
    }
    await this.acceptLoop;
    for (const pair of [...this.pairs]) pair.abort();
    await Promise.all([...this.pairs].map((p) => p.done));
  }

  private async accept(): Promise<void> {
    while (true) {
      let outer: Deno.Conn;
      try {
        outer = await this.listener.accept();
      } catch {
        return;
      }
      this.connect(outer);
    }
  }

  private connect(outer: Deno.Conn): void {
    let inner: Deno.Conn | undefined;
    let closed = false;
    const closeConn = (conn: Deno.Conn | undefined) => {
      try {
        conn?.close();
      } catch {
        // already closed
      }
    };
    const closeBoth = () => {
      closed = true;
      closeConn(outer);
      closeConn(inner);
    };
    let innerPort = -1;
    const pair: Pair = {
      remoteAddr: outer.remoteAddr as Deno.NetAddr,
      abort: closeBoth,
      done: Promise.resolve(),
    };
    pair.done = (async () => {
      try {
        inner = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
        // Go (so Mattermost) sets TCP_NODELAY on every connection; with Nagle on, a small
        // last segment waits for the peer's delayed ACK (40 ms on Linux).
        setNoDelay(outer);
        setNoDelay(inner);
        innerPort = (inner.localAddr as Deno.NetAddr).port;
        this.byInnerPort.set(innerPort, pair);
        if (closed) return;
        await Promise.race([pump(outer, inner), pump(inner, outer)]);
      } catch {
        // connection refused or torn down
      } finally {
        closeBoth();
        this.byInnerPort.delete(innerPort);
        this.pairs.delete(pair);
      }
    })();
    this.pairs.add(pair);
  }
}

/** TCP_NODELAY where the connection has it (a TLS connection does not expose it). */
function setNoDelay(conn: Deno.Conn): void {
  if ("setNoDelay" in conn && typeof conn.setNoDelay === "function") conn.setNoDelay(true);
}

/**
 * Copies bytes from one connection to the other until either ends or fails. Plain reads and
 * writes: every request and event crosses this twice, and stream piping costs several times
 * the CPU per chunk, which showed as the emulator's share in the benchmarks.
 */
async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) return;
      for (let written = 0; written < n;) {
        written += await to.write(buffer.subarray(written, n));
      }
    }
  } catch {
    // either side was closed or reset
  }
}
