package io.ckpt.server.net;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.NameLimits;
import io.ckpt.protocol.ProtocolVersion;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.security.Principal;
import io.ckpt.security.ServerSecurity;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first frame of a connection: it must be HELLO; picks the protocol version, authenticates
 * the client (its certificate, else its token, else, on an open loopback server, the host id it
 * gives), lets full-size frames in, and answers WELCOME. Whatever it refuses is thrown, for the
 * connection to fail with. One per server; it keeps no state of a connection.
 */
final class Handshake {
    private static final Logger log = LoggerFactory.getLogger(Handshake.class);

    /** Who the handshake let in, and how they speak. */
    record Welcomed(Principal principal, String host, String tenant, int version) {}

    private final ServerSecurity security;
    private final int protocolMax;
    private final int maxFrame;
    private final String serverId;
    private final Map<String, String> tenantByHost;

    /**
     * @param tenantByHost the dedup scope of hosts on an open server ({@code --tenant}, for tests);
     *                     a credential's tenant wins over it
     */
    Handshake(ServerSecurity security, int protocolMax, int maxFrame, String serverId, Map<String, String> tenantByHost) {
        this.security = security;
        this.protocolMax = protocolMax;
        this.maxFrame = maxFrame;
        this.serverId = serverId;
        this.tenantByHost = tenantByHost;
    }

    static Handshake of(ServerContext s) {
        return new Handshake(s.security(), s.protocolMax(), s.maxFrame(), s.datastore().id(), s.tenantByHost());
    }

    /**
     * Judges the connection's first frame (released here when it is not HELLO): who it is and the
     * version it speaks, or what the connection fails with. Changes nothing: the caller takes in
     * the answer, then {@link #welcome}s it. Event loop.
     */
    Welcomed check(ChannelHandlerContext ctx, Frame frame) throws RequestRefusedException {
        if (!(frame instanceof Frame.Hello hello)) {
            ReferenceCountUtil.release(frame);
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "the first frame must be HELLO");
        }
        int chosen = ProtocolVersion.negotiate(ProtocolVersion.MIN, protocolMax, hello.minVersion(), hello.maxVersion());
        if (chosen < 0) {
            throw new RequestRefusedException(ErrorCode.UNSUPPORTED_VERSION, "client speaks protocol versions "
                    + hello.minVersion() + ".." + hello.maxVersion() + ", this server " + ProtocolVersion.MIN + ".."
                    + protocolMax + ": upgrade the older side");
        }
        if (Boolean.TRUE.equals(ctx.channel().attr(TlsDetector.PLAINTEXT).get())) {
            throw new RequestRefusedException(ErrorCode.UNAUTHORIZED, "this server requires TLS: give the client the server's"
                    + " CA certificate (--tls-ca FILE, $CKPT_TLS_CA, or server.tls-ca in the agent config)");
        }
        // A host id is stored on the rows this connection writes (checkpoints, audit, hosts), and
        // RowLimits refuses to read back one past NameLimits.MAX_HOST: refuse it before anything is written.
        if (hello.hostId().length() > NameLimits.MAX_HOST) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "host id of " + hello.hostId().length()
                    + " characters in HELLO: at most " + NameLimits.MAX_HOST);
        }
        Principal p = security.authenticate(hello.hostId(), hello.auth(), peerCertificate(ctx));
        if (p.authenticated() && !hello.hostId().isEmpty() && !hello.hostId().equals(p.name())) {
            log.info("connection from {} says it is host {}, its credential is {}: it acts as {}",
                    ctx.channel().remoteAddress(), hello.hostId(), p.name(), p.name());
        }
        String tenant = p.authenticated() ? p.tenant() : tenantByHost.getOrDefault(p.name(), p.tenant());
        return new Welcomed(p, p.name(), tenant, chosen);
    }

    /**
     * Answers WELCOME, then lets full-size frames in. The caller has taken in {@code w} first: the
     * bytes the small decoder still holds pass to the new one at once, so a frame the client sent
     * right behind its HELLO is read within this call, and its answer goes out after WELCOME. Event loop.
     */
    void welcome(ChannelHandlerContext ctx, Welcomed w) {
        ctx.writeAndFlush(new Frame.Welcome(w.version(), serverId, maxFrame));
        ctx.pipeline().replace(ServerInitializer.FRAME_DECODER, ServerInitializer.FRAME_DECODER, new FrameDecoder(maxFrame));
    }

    /** The client certificate the TLS handshake verified against the CA, if the client gave one. */
    private static X509Certificate peerCertificate(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
