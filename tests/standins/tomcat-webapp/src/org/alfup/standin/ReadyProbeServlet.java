// ReadyProbeServlet.java -- the repository's readiness and liveness probes: 200 once started, 503 before.
package org.alfup.standin;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** GET /alfresco/api/-default-/public/alfresco/versions/1/probes/-ready- (and -live-). */
public final class ReadyProbeServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String probe = request.getPathInfo();
        if (!"/-ready-".equals(probe) && !"/-live-".equals(probe)) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        boolean ready = getServletContext().getAttribute(RepositoryListener.READY_ATTRIBUTE) != null;
        response.setStatus(ready ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setContentType("application/json");
        response.getWriter().print(ready ? "{\"entry\":{\"message\":\"readyProbe: Success\"}}"
                                         : "{\"error\":{\"statusCode\":503}}");
    }
}
