package dev.cumulus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cumulus.functions.tables.SubstitutionsTable;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Claims on paths, many at once: each path held by one job, until its claim lapses. */
@ExtendWith(LocalStackExtension.class)
class SubstitutionsTableTest {
    @Test
    void aJobClaimsWhatNoOtherHoldsInTransactionsOfAHundred(LocalStack stack) {
        SubstitutionsTable claims = new TestStore(stack).tables.substitutions();
        List<StorePath> paths = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            paths.add(TestStore.randomPath("claimed-" + i));
        }
        long now = 1_000_000;
        // Job A holds every third path; B asks for all of them, across three transactions.
        Set<StorePath> a = new HashSet<>();
        for (int i = 0; i < paths.size(); i += 3) {
            a.add(paths.get(i));
        }
        assertEquals(a, claims.claimAll(a, "job-a", now, now + 60));
        Set<StorePath> b = claims.claimAll(paths, "job-b", now + 1, now + 61);
        Set<StorePath> rest = new HashSet<>(paths);
        rest.removeAll(a);
        assertEquals(rest, b);
        // A job's own claims are its again; once A's lapse, B takes them.
        assertEquals(a, claims.claimAll(a, "job-a", now + 2, now + 62));
        assertEquals(Set.of(), claims.claimAll(a, "job-b", now + 2, now + 62));
        assertEquals(a, claims.claimAll(a, "job-b", now + 63, now + 120));
        assertEquals(Set.of(), claims.claimAll(List.of(paths.getFirst()), "job-a", now + 64, now + 120));
    }
}
