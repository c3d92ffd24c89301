"""Aggregate map endpoints under /api/v1/maps/ (contract: DESIGN §4)."""

from django.urls import path

from .maps import AdoptionMapView, AdoptionTimeseriesView

urlpatterns = [
    path("adoption/", AdoptionMapView.as_view(), name="maps-adoption"),
    path("timeseries/", AdoptionTimeseriesView.as_view(), name="maps-timeseries"),
]
