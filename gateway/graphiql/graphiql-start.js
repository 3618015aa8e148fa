// GraphiQL against the hub's endpoint on this origin; every file comes from the hub.
'use strict';
const fetcher = GraphiQL.createFetcher({
  url: new URL('/graphql', window.location.origin).toString(),
  fetch: (url, options = {}) => fetch(url, { ...options, credentials: 'same-origin' }),
});
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
);
