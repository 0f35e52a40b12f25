package dev.cumulus.functions.tables;

import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/** The store's tables of one installation, by their physical names under a resource prefix. */
public record StoreTables(DynamoDbClient db, PathInfoTable paths, ReferrersTable referrers,
                          DerivationOutputsTable derivationOutputs, RealisationTable realisations, BuildsTable builds,
                          BuildLogTable buildLogs, RootsTable roots, SubstitutionsTable substitutions, GraphTable graph,
                          StoreStatsTable stats) {

    public static StoreTables of(DynamoDbClient db, String prefix, StoreDir storeDir) {
        return new StoreTables(db,
                new PathInfoTable(db, CloudResources.PATHS.physicalName(prefix)),
                new ReferrersTable(db, CloudResources.REFERRERS.physicalName(prefix)),
                new DerivationOutputsTable(db, CloudResources.DERIVATION_OUTPUTS.physicalName(prefix)),
                new RealisationTable(db, CloudResources.REALISATIONS.physicalName(prefix), storeDir),
                new BuildsTable(db, CloudResources.BUILDS.physicalName(prefix)),
                new BuildLogTable(db, CloudResources.BUILD_LOGS.physicalName(prefix)),
                new RootsTable(db, CloudResources.GC_ROOTS.physicalName(prefix)),
                new SubstitutionsTable(db, CloudResources.SUBSTITUTIONS.physicalName(prefix)),
                new GraphTable(db, CloudResources.BUILD_GRAPH.physicalName(prefix)),
                new StoreStatsTable(db, CloudResources.STORE_STATS.physicalName(prefix)));
    }

    /**
     * Deletes, in one transaction, the paths still marked by collection {@code gc} if {@code gc} still
     * deletes: {@link PathInfoTable#deleteAllMarked} with {@link RootsTable#stillDeleting}.
     */
    public Set<String> deleteMarked(List<String> hashParts, String gc) {
        return paths.deleteAllMarked(hashParts, gc, roots.stillDeleting(gc));
    }

    /**
     * Removes what a deleted path's item stood for, a derivation's recorded outputs and the
     * realisations {@code realisations} naming it as their output, in transactions on the
     * condition that the path is still not valid: one added again since (whose registration wrote
     * its outputs with its item) keeps them.
     */
    public void forgetOutputs(StorePath path, List<String> realisations) {
        List<TransactWriteItem> deletes = new ArrayList<>();
        if (path.isDerivation()) {
            deletes.addAll(derivationOutputs.deletes(path));
        }
        realisations.forEach(id -> deletes.add(this.realisations.deleteItem(id)));
        for (int from = 0; from < deletes.size(); from += BatchCalls.TRANSACTION_LIMIT - 1) {
            List<TransactWriteItem> items = new ArrayList<>();
            items.add(paths.absent(path));
            items.addAll(deletes.subList(from, Math.min(deletes.size(), from + BatchCalls.TRANSACTION_LIMIT - 1)));
            if (!BatchCalls.transactOrFailedConditions(db, items, "forgetting the outputs of " + path.baseName()).isEmpty()) {
                return;
            }
        }
    }
}
