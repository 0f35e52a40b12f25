package dev.cumulus.aws;

import com.sun.net.httpserver.Headers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 computed from a received request, written from AWS's description of the
 * algorithm and not with the SDK's signer, so a test checks the signature an AWS service would.
 */
final class SigV4 {
    private SigV4() {}

    /** Why the request's signature is not the one SigV4 gives it, or null when it is. */
    static String mismatch(String method, String rawPath, Headers headers, byte[] body, String accessKey, String secretKey,
                           String region, String service) {
        String authorization = headers.getFirst("Authorization");
        if (authorization == null || !authorization.startsWith("AWS4-HMAC-SHA256 ")) {
            return "not signed with SigV4: " + authorization;
        }
        String credential = field(authorization, "Credential");
        String signedHeaders = field(authorization, "SignedHeaders");
        String signature = field(authorization, "Signature");
        String amzDate = headers.getFirst("X-Amz-Date");
        String date = amzDate.substring(0, 8);
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        if (!credential.equals(accessKey + "/" + scope)) {
            return "credential " + credential + ", not " + accessKey + "/" + scope;
        }
        StringBuilder canonicalHeaders = new StringBuilder();
        for (String name : signedHeaders.split(";")) {
            String value = name.equals("host") ? headers.getFirst("Host") : String.join(",", headers.get(name));
            canonicalHeaders.append(name).append(':').append(value.trim().replaceAll(" +", " ")).append('\n');
        }
        String payloadHash = headers.getFirst("X-Amz-Content-Sha256") != null ? headers.getFirst("X-Amz-Content-Sha256")
                : hex(sha256(body));
        String canonical = method + "\n" + canonicalUri(rawPath) + "\n\n" + canonicalHeaders + "\n" + signedHeaders + "\n"
                + payloadHash;
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        String expected = hex(hmac(key, toSign));
        return expected.equals(signature) ? null : "signature " + signature + ", SigV4 gives " + expected;
    }

    /** Every service but S3 encodes each path segment once more than it was sent. */
    private static String canonicalUri(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String segment : rawPath.split("/", -1)) {
            segments.add(encode(segment));
        }
        return String.join("/", segments);
    }

    private static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-_.~".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static String field(String authorization, String name) {
        for (String part : authorization.substring("AWS4-HMAC-SHA256 ".length()).split(",\\s*")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return "";
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
