package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Layers only point down: no package of the protocol, server, agent or offline module imports, however
 * indirectly, a package that imports it back (issue 14, "Layers that only point down";
 * docs/ARCHITECTURE.md, "Layers"). Read from the compiled classes with {@code jdeps}, so an inline
 * fully qualified name counts as much as an import. It crosses all four modules, hence here.
 *
 * <p>{@link #KNOWN} lists the cycles not yet broken, each with its issue: any other cycle fails,
 * and so does a known one that is gone (take it off the list).
 */
class PackageCyclesTest {
    /** Cycles not yet broken: the packages of each, and why they remain. */
    private static final Map<Set<String>, String> KNOWN = Map.of();

    @Test
    void noPackageCycleInProtocolServerOrAgent() {
        Map<String, Map<String, Set<String>>> edges = new TreeMap<>();
        for (Class<?> module : List.of(io.ckpt.protocol.Frame.class, io.ckpt.server.ServerMain.class,
                io.ckpt.cli.CkptMain.class, io.ckpt.offline.ReadOnlyDatastore.class)) {
            readEdges(classesOf(module), edges);
        }
        assertTrue(edges.keySet().containsAll(Set.of("io.ckpt.protocol.codec", "io.ckpt.catalog", "io.ckpt.cli",
                "io.ckpt.offline")), "jdeps read the four modules: " + edges.keySet());

        StringBuilder unexpected = new StringBuilder();
        Set<Set<String>> found = new java.util.HashSet<>();
        for (Set<String> cycle : cycles(edges)) {
            found.add(cycle);
            if (!KNOWN.containsKey(cycle)) {
                unexpected.append("\ncycle ").append(cycle).append(':');
                for (String from : cycle) {
                    edges.get(from).forEach((to, classes) -> {
                        if (cycle.contains(to)) {
                            unexpected.append("\n  ").append(from).append(" -> ").append(to).append(": ").append(classes);
                        }
                    });
                }
            }
        }
        assertEquals("", unexpected.toString(), "package cycles (break them: move the shared type down, or invert"
                + " the call; docs/ARCHITECTURE.md, \"Layers\")");
        for (Set<String> known : KNOWN.keySet()) {
            assertTrue(found.contains(known), "known cycle " + known + " (" + KNOWN.get(known)
                    + ") is gone or changed: take it off PackageCyclesTest.KNOWN; cycles now: " + found);
        }
    }

    private static Path classesOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("location of " + type.getName(), e);
        }
    }

    /** Adds {@code from package -> to package -> {class -> class, ...}} for every io.ckpt dependency in {@code classes}. */
    private static void readEdges(Path classes, Map<String, Map<String, Set<String>>> edges) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new IllegalStateException(
                "no jdeps in this runtime (" + System.getProperty("java.home") + "): the test needs a JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:class", "-filter:none",
                "-e", "io\\.ckpt\\..*", classes.toString());
        assertEquals(0, rc, "jdeps " + classes + ": " + err);
        for (String line : out.toString().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[1].equals("->") && f[0].startsWith("io.ckpt.") && f[2].startsWith("io.ckpt.")) {
                String from = packageOf(f[0]);
                String to = packageOf(f[2]);
                if (!from.equals(to)) {
                    edges.computeIfAbsent(from, k -> new TreeMap<>()).computeIfAbsent(to, k -> new TreeSet<>())
                            .add(simple(f[0]) + " -> " + simple(f[2]));
                }
            }
        }
    }

    private static String packageOf(String className) {
        return className.substring(0, className.lastIndexOf('.'));
    }

    private static String simple(String className) {
        String s = className.substring(className.lastIndexOf('.') + 1);
        int inner = s.indexOf('$');
        return inner < 0 ? s : s.substring(0, inner);
    }

    /** The strongly connected components of more than one package (Tarjan). */
    private static List<Set<String>> cycles(Map<String, Map<String, Set<String>>> edges) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        List<Set<String>> out = new ArrayList<>();
        for (String v : edges.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, edges, index, low, stack, out);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Map<String, Set<String>>> edges, Map<String, Integer> index,
            Map<String, Integer> low, Deque<String> stack, List<Set<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        for (String w : edges.getOrDefault(v, Map.of()).keySet()) {
            if (!index.containsKey(w)) {
                connect(w, edges, index, low, stack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (stack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(component);
            }
        }
    }
}
