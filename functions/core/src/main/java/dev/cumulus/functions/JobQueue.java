package dev.cumulus.functions;

/**
 * Where work waits for whoever does it: submitted builds for the runners, substitution jobs for the
 * substitute function. SQS in AWS and locally ({@link SqsJobQueue}).
 */
@FunctionalInterface
public interface JobQueue<T> {
    void send(T job);

    /** For a store without {@code what}: every submission fails with a clear error. */
    static <T> JobQueue<T> none(String what) {
        return job -> {
            throw new StoreException("this Cumulus store has no " + what + " queue configured");
        };
    }
}
