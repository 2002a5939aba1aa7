package io.ckpt.catalog;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.NameLimits;
import io.ckpt.protocol.RequestRefusedException;
import java.util.List;
import java.util.regex.Pattern;

/** What the server accepts as a WPAR name and as labels. */
public final class Names {
    private static final Pattern WPAR = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0," + (NameLimits.MAX_WPAR - 1) + "}");
    private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9-]{0," + (NameLimits.MAX_KIND - 1) + "}");
    public static final int MAX_LABELS = NameLimits.MAX_LABELS;
    public static final int MAX_LABEL_LENGTH = NameLimits.MAX_LABEL_LENGTH;

    private Names() {}

    /** A pattern for a glob over WPAR names: {@code *} any run, {@code ?} one character; null means all. */
    public static Pattern wparGlob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : (glob == null ? "*" : glob).toCharArray()) {
            re.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString());
    }

    public static void checkWpar(String wpar) throws RequestRefusedException {
        if (wpar == null || !WPAR.matcher(wpar).matches()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "invalid WPAR name '" + wpar
                    + "': use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
    }

    public static void checkKind(String kind) throws RequestRefusedException {
        if (kind == null || !KIND.matcher(kind).matches()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "invalid checkpoint kind '" + kind + "'");
        }
    }

    public static void checkHealth(String health, String reason) throws RequestRefusedException {
        if (!"unknown".equals(health) && !"good".equals(health) && !"bad".equals(health)) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "invalid health '" + health + "': use good, bad or unknown");
        }
        if (reason.length() > 4096) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "health reason longer than 4096 characters");
        }
    }

    public static void checkUploadKey(String key) throws RequestRefusedException {
        if (key.length() > NameLimits.MAX_UPLOAD_KEY || key.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "invalid upload key: up to 128 printable ASCII characters");
        }
    }

    public static void checkLabels(List<String> labels) throws RequestRefusedException {
        if (labels.size() > MAX_LABELS) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, labels.size() + " labels, more than " + MAX_LABELS);
        }
        for (String l : labels) {
            if (l.isEmpty() || l.length() > MAX_LABEL_LENGTH || l.chars().anyMatch(c -> c < 0x20 || c == 0x7f)
                    || l.startsWith("=")) {
                throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "invalid label '" + l
                        + "': a word or KEY=VALUE of 1 to 256 printable characters");
            }
        }
    }
}
