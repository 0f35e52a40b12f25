package dev.cumulus.functions.tables;

import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.StoreDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

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
    public java.util.Set<String> deleteMarked(java.util.List<String> hashParts, String gc) {
        return paths.deleteAllMarked(hashParts, gc, roots.stillDeleting(gc));
    }
}
