package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.dashboard.Dashboard;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code dashboard} function behind its function URL (IAM-authenticated): the URL's request
 * (payload format 2.0) to {@link Dashboard}, its page back as the URL's response. Metrics are
 * CloudWatch's here, so the dashboard has no {@code /metrics}.
 */
@Named("dashboard")
public class DashboardHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    @Inject
    Dashboard dashboard;

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Dashboard.Response r = dashboard.handle(request(event));
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("statusCode", r.status());
        response.put("headers", r.allHeaders());
        response.put("body", new String(r.body(), StandardCharsets.UTF_8));
        response.put("isBase64Encoded", false);
        return response;
    }

    /** The method, path and query of a function URL's event. */
    static Dashboard.Request request(Map<String, Object> event) {
        String method = "GET";
        if (event.get("requestContext") instanceof Map<?, ?> context && context.get("http") instanceof Map<?, ?> http
                && http.get("method") instanceof String m) {
            method = m;
        }
        String path = event.get("rawPath") instanceof String p && !p.isEmpty() ? p : "/";
        String query = event.get("rawQueryString") instanceof String raw ? raw : "";
        return new Dashboard.Request(method, path, Dashboard.Request.parseQuery(query));
    }
}
