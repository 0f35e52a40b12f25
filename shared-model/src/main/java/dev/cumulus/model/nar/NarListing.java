package dev.cumulus.model.nar;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A NAR's tree without contents, in the JSON form of Nix's {@code .ls} files
 * ({@code {"type":"directory","entries":{…}}}).
 */
public final class NarListing implements NarVisitor {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final Deque<ObjectNode> stack = new ArrayDeque<>();
    private ObjectNode root;

    private NarListing() {}

    /** Reads a whole NAR and lists it. */
    public static ObjectNode list(InputStream in) throws IOException {
        NarListing listing = new NarListing();
        NarReader.read(in, listing);
        return listing.root;
    }

    private void place(String path, ObjectNode node) {
        if (path.isEmpty()) {
            root = node;
        } else {
            String name = path.substring(path.lastIndexOf('/') + 1);
            ((ObjectNode) stack.peek().get("entries")).set(name, node);
        }
    }

    @Override
    public void directory(String path) {
        ObjectNode dir = JSON.objectNode();
        dir.put("type", "directory");
        dir.set("entries", JSON.objectNode());
        place(path, dir);
        stack.push(dir);
    }

    @Override
    public void directoryEnd(String path) {
        stack.pop();
    }

    @Override
    public void regularFile(String path, boolean executable, long size, InputStream contents) {
        ObjectNode f = JSON.objectNode();
        f.put("type", "regular");
        f.put("size", size);
        f.put("executable", executable);
        place(path, f);
    }

    @Override
    public void symlink(String path, String target) {
        ObjectNode l = JSON.objectNode();
        l.put("type", "symlink");
        l.put("target", target);
        place(path, l);
    }
}
