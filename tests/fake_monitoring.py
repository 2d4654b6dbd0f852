"""A fake Cloud Monitoring MetricService on 127.0.0.1 that speaks the real gRPC protocol.

It serves google.monitoring.v3.MetricService/ListTimeSeries with the request and response messages
that ship with google-cloud-monitoring (no servicer base ships, so it registers a generic handler).
It records every request, answers with canned TimeSeries per metric type, only those whose resource
label the filter's label term selects (the three forms the reader writes: = "name", starts_with,
monitoring.regex.full_match), `page_size` series a page (with next_page_token), and can fail a metric
type with a gRPC status.
"""

from __future__ import annotations

import re
from concurrent import futures
from datetime import datetime

import grpc
from google.api import metric_pb2, monitored_resource_pb2
from google.cloud import monitoring_v3
from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport

SERVICE = "google.monitoring.v3.MetricService"
METRIC_TYPE = re.compile(r'metric\.type\s*=\s*"([^"]+)"')
# resource.labels.<label> = "name" | starts_with("prefix") | monitoring.regex.full_match("regex")
LABEL_TERM = re.compile(r'resource\.labels\.(\w+) = '
                        r'(?:(starts_with|monitoring\.regex\.full_match)\("([^"]*)"\)|"([^"]*)")')


class FakeMetricService:
    def __init__(self, series: dict[str, list[monitoring_v3.TimeSeries]] | None = None, page_size: int = 1,
                 errors: dict[str, tuple[grpc.StatusCode, str]] | None = None) -> None:
        self.series = series or {}  # metric type -> the series to return
        self.page_size = page_size
        self.errors = errors or {}  # metric type -> (status, message) to fail with
        self.requests: list[monitoring_v3.ListTimeSeriesRequest] = []
        self._server: grpc.Server | None = None
        self.port = 0

    def start(self) -> FakeMetricService:
        handler = grpc.method_handlers_generic_handler(SERVICE, {
            "ListTimeSeries": grpc.unary_unary_rpc_method_handler(
                self._list_time_series,
                request_deserializer=monitoring_v3.ListTimeSeriesRequest.deserialize,
                response_serializer=monitoring_v3.ListTimeSeriesResponse.serialize,
            ),
        })
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers((handler,))
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)

    def client(self) -> monitoring_v3.MetricServiceClient:
        """The real client, pointed at this server through its transport option."""
        channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        return monitoring_v3.MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))

    def requests_for(self, metric_type: str) -> list[monitoring_v3.ListTimeSeriesRequest]:
        return [r for r in self.requests if _metric_type(r.filter) == metric_type]

    def _list_time_series(self, request: monitoring_v3.ListTimeSeriesRequest,
                          context: grpc.ServicerContext) -> monitoring_v3.ListTimeSeriesResponse:
        self.requests.append(request)
        metric_type = _metric_type(request.filter)
        if metric_type in self.errors:
            code, message = self.errors[metric_type]
            context.abort(code, message)
        series = [s for s in self.series.get(metric_type, []) if _selects(request.filter, s)]
        start = int(request.page_token or 0)
        end = start + self.page_size
        return monitoring_v3.ListTimeSeriesResponse(
            time_series=series[start:end],
            next_page_token=str(end) if end < len(series) else "",
        )


def _metric_type(filter_text: str) -> str:
    match = METRIC_TYPE.search(filter_text)
    return match.group(1) if match else ""


def _selects(filter_text: str, series: monitoring_v3.TimeSeries) -> bool:
    """Whether the filter's resource label term (if any) selects the series' resource."""
    term = LABEL_TERM.search(filter_text)
    if term is None:
        return True
    label, function, argument, literal = term.groups()
    value = series.resource.labels.get(label, "")
    if function == "starts_with":
        return value.startswith(argument)
    if function is not None:
        return re.fullmatch(argument, value) is not None
    return value == literal


def time_series(metric_type: str, resource_type: str, labels: dict[str, str],
                points: list[tuple[datetime, float]], integer: bool = True) -> monitoring_v3.TimeSeries:
    """A TimeSeries as ListTimeSeries returns it after aggregation: points newest first."""
    return monitoring_v3.TimeSeries(
        metric=metric_pb2.Metric(type=metric_type),
        resource=monitored_resource_pb2.MonitoredResource(type=resource_type, labels=labels),
        metric_kind=metric_pb2.MetricDescriptor.MetricKind.GAUGE,
        value_type=(metric_pb2.MetricDescriptor.ValueType.INT64 if integer
                    else metric_pb2.MetricDescriptor.ValueType.DOUBLE),
        points=[
            monitoring_v3.Point(
                interval=monitoring_v3.TimeInterval(end_time=when),
                value=monitoring_v3.TypedValue(int64_value=int(value)) if integer
                else monitoring_v3.TypedValue(double_value=value),
            )
            for when, value in sorted(points, reverse=True)
        ],
    )
