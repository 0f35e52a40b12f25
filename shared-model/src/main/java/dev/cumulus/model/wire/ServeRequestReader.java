package dev.cumulus.model.wire;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.ServeRequest.*;
import java.io.IOException;

/** Decodes a serve command's arguments, as the negotiated version lays them out. */
public final class ServeRequestReader {
    private final ServeCodec codec;

    public ServeRequestReader(ServeCodec codec) {
        this.codec = codec;
    }

    public ServeRequest read(ServeCommand command, WireReader r) throws IOException {
        return switch (command) {
            case QUERY_VALID_PATHS -> {
                boolean lock = r.readBool();
                boolean substitute = r.readBool();
                yield new QueryValidPaths(lock, substitute, codec.readStorePaths(r));
            }
            case QUERY_PATH_INFOS -> new QueryPathInfos(codec.readStorePaths(r));
            case DUMP_STORE_PATH -> new DumpStorePath(codec.readStorePath(r));
            case IMPORT_PATHS -> new ImportPaths();
            case EXPORT_PATHS -> {
                r.readNum(); // obsolete "sign" flag
                yield new ExportPaths(codec.readStorePaths(r));
            }
            case BUILD_PATHS -> new BuildPaths(codec.readPathsWithOutputs(r), codec.readBuildOptions(r));
            case QUERY_CLOSURE -> {
                boolean includeOutputs = r.readBool();
                yield new QueryClosure(includeOutputs, codec.readStorePaths(r));
            }
            case BUILD_DERIVATION -> {
                StorePath drvPath = codec.readStorePath(r);
                Derivation drv = codec.readBasicDerivation(r, drvPath);
                yield new BuildDerivation(drvPath, drv, codec.readBuildOptions(r));
            }
            case ADD_TO_STORE_NAR -> {
                PathInfo info = codec.readAddedPathInfo(r);
                if (info.narSize() == 0) {
                    throw new WireFormatException("the path info of '" + codec.storeDir().print(info.path())
                            + "' lacks its NAR size");
                }
                yield new AddToStoreNar(info);
            }
        };
    }
}
